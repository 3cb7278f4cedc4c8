import { describe, expect, it } from 'vitest';
import { isMarkedUnmapped, markUnmapped, UNMAPPED_CODE_EXTENSION_URL } from './mark-unmapped.ts';

const marker = { url: UNMAPPED_CODE_EXTENSION_URL, valueBoolean: true };

describe('markUnmapped', () => {
  it('marks the original coding on a copy, once', () => {
    const concept = { coding: [{ system: 'http://local', code: 'X', display: 'Ex' }], text: 'Ex' };
    const marked = markUnmapped(concept, { system: 'http://local', code: 'X' });
    expect(marked).toEqual({ coding: [{ system: 'http://local', code: 'X', display: 'Ex', extension: [marker] }], text: 'Ex' });
    expect(concept.coding[0]).not.toHaveProperty('extension');
    expect(markUnmapped(marked, { system: 'http://local', code: 'X' }).coding?.[0].extension).toEqual([marker]);
  });

  it('marks only the matching coding, appends the original when missing, marks all without one', () => {
    const concept = { coding: [{ system: 'http://a', code: '1' }, { system: 'http://b', code: '2', extension: [{ url: 'http://other', valueString: 'x' }] }] };
    expect(markUnmapped(concept, { system: 'http://b', code: '2' }).coding?.map(isMarkedUnmapped)).toEqual([false, true]);
    expect(markUnmapped(concept, { system: 'http://b', code: '2' }).coding?.[1].extension).toEqual([{ url: 'http://other', valueString: 'x' }, marker]);
    const appended = markUnmapped({ text: 'free text' }, { system: 'http://c', code: '3' });
    expect(appended).toEqual({ text: 'free text', coding: [{ system: 'http://c', code: '3', extension: [marker] }] });
    expect(markUnmapped(concept).coding?.every(isMarkedUnmapped)).toBe(true);
  });
});
