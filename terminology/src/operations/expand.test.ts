import { getStatus } from '@medplum/core';
import type { OperationOutcomeError } from '@medplum/core';
import type { ValueSetComposeIncludeFilter } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { BODY, bodySites, fixtureStore, SECRET, TARGET, valueSet } from '../../test/fixtures.ts';
import { thrownBy } from '../../test/thrown-by.ts';
import { terminologyErrorCode } from '../errors.ts';
import type { TerminologyStore } from '../store/terminology-store.ts';
import { expand } from './expand.ts';
import { MAX_EXPANSION_SIZE } from './value-set-expansion.ts';

const VS = 'http://example.org/vs/test';

function codesOf(store: TerminologyStore, compose: Parameters<typeof valueSet>[1], params: Parameters<typeof expand>[1] = {}): string[] {
  store.remove(VS);
  store.add(valueSet(VS, compose));
  return (expand(store, { url: VS, ...params }).expansion?.contains ?? []).map((entry) => entry.code as string);
}

function filtered(filter: ValueSetComposeIncludeFilter): string[] {
  return codesOf(fixtureStore(), { include: [{ system: BODY, filter: [filter] }] });
}

describe('expand: compose', () => {
  it('includes a whole system in document order, flags abstract and inactive codes', () => {
    const store = fixtureStore();
    store.add(valueSet(VS, { include: [{ system: BODY }] }));
    const expansion = expand(store, { url: VS }).expansion!;
    expect(expansion.total).toBe(10);
    expect(expansion.contains?.map((entry) => entry.code)).toEqual(['body', 'head', 'brain', 'skull', 'chest', 'lung', 'heart', 'abdomen', 'pelvis', 'old-chest']);
    expect(expansion.contains?.[0]).toEqual({ system: BODY, version: '2', code: 'body', display: 'Whole body', abstract: true });
    expect(expansion.contains?.[9].inactive).toBe(true);
  });

  it('lists concepts, with display from the ValueSet or else the code system', () => {
    const store = fixtureStore();
    store.add(valueSet(VS, { include: [{ system: BODY, concept: [{ code: 'lung', display: 'Paru' }, { code: 'heart' }] }] }));
    expect(expand(store, { url: VS }).expansion?.contains).toEqual([
      { system: BODY, version: '2', code: 'lung', display: 'Paru' },
      { system: BODY, version: '2', code: 'heart', display: 'Heart' },
    ]);
  });

  it('applies hierarchy filters', () => {
    expect(filtered({ property: 'concept', op: 'is-a', value: 'chest' })).toEqual(['chest', 'lung', 'heart']);
    expect(filtered({ property: 'concept', op: 'descendent-of', value: 'head' })).toEqual(['brain', 'skull']);
    expect(filtered({ property: 'concept', op: 'is-not-a', value: 'body' })).toEqual(['old-chest']);
    expect(filtered({ property: 'concept', op: 'generalizes', value: 'heart' })).toEqual(['body', 'chest', 'heart']);
    // pelvis hangs below body through a parent property, not by nesting
    expect(filtered({ property: 'concept', op: 'descendent-of', value: 'body' })).toContain('pelvis');
    expect(filtered({ property: 'concept', op: 'is-a', value: 'no-such-code' })).toEqual([]);
  });

  it('applies property filters', () => {
    expect(filtered({ property: 'modality', op: '=', value: 'MR' })).toEqual(['brain']);
    expect(filtered({ property: 'modality', op: 'in', value: 'CT, US' })).toEqual(['head', 'heart']);
    expect(filtered({ property: 'modality', op: 'exists', value: 'true' })).toEqual(['head', 'brain', 'skull', 'heart']);
    expect(filtered({ property: 'concept', op: 'regex', value: '[a-c].*' })).toEqual(['body', 'brain', 'chest', 'abdomen']);
    expect(filtered({ property: 'display', op: '=', value: 'Lung' })).toEqual(['lung']);
    expect(filtered({ property: 'concept', op: 'not-in', value: 'body,head,brain,skull,chest,lung,heart' })).toEqual(['abdomen', 'pelvis', 'old-chest']);
    expect(filtered({ property: 'status', op: '=', value: 'retired' })).toEqual(['old-chest']);
  });

  it('excludes, drops inactive codes on request, and combines ValueSets', () => {
    const store = fixtureStore();
    expect(codesOf(store, { include: [{ system: BODY, filter: [{ property: 'concept', op: 'is-a', value: 'head' }] }], exclude: [{ system: BODY, concept: [{ code: 'skull' }] }] })).toEqual(['head', 'brain']);
    expect(codesOf(store, { inactive: false, include: [{ system: BODY, concept: [{ code: 'lung' }, { code: 'old-chest' }] }] })).toEqual(['lung']);
    store.add(valueSet('http://example.org/vs/head', { include: [{ system: BODY, filter: [{ property: 'concept', op: 'is-a', value: 'head' }] }] }));
    store.add(valueSet('http://example.org/vs/ct', { include: [{ system: BODY, filter: [{ property: 'modality', op: '=', value: 'CT' }] }, { system: TARGET }] }));
    // valueSets inside one include are intersected; separate includes are united
    expect(codesOf(store, { include: [{ valueSet: ['http://example.org/vs/head', 'http://example.org/vs/ct'] }] })).toEqual(['head']);
    expect(codesOf(store, { include: [{ valueSet: ['http://example.org/vs/head'] }, { valueSet: ['http://example.org/vs/ct'] }] })).toEqual(['head', 'brain', 'skull', 'T-HEAD', 'T-CHEST', 'T-OTHER']);
    expect(codesOf(store, { include: [{ system: BODY, valueSet: ['http://example.org/vs/ct'] }] })).toEqual(['head']);
  });

  it('expands a ValueSet that only carries an expansion, nested contains included', () => {
    const store = fixtureStore();
    store.add({ resourceType: 'ValueSet', url: VS, status: 'active', expansion: { timestamp: '2024-01-01', contains: [{ system: 'http://x', code: 'a', contains: [{ system: 'http://x', code: 'b' }] }, { system: 'http://x', code: 'c' }] } });
    expect(expand(store, { url: VS }).expansion?.contains?.map((entry) => entry.code)).toEqual(['a', 'b', 'c']);
  });
});

describe('expand: filter and paging', () => {
  const store = fixtureStore();
  store.add(valueSet(VS, { include: [{ system: BODY }] }));

  it('filters on code, display and designations, every word', () => {
    expect(expand(store, { url: VS, filter: 'kepala' }).expansion?.contains?.map((entry) => entry.code)).toEqual(['head']);
    expect(expand(store, { url: VS, filter: 'CHEST old' }).expansion?.contains?.map((entry) => entry.code)).toEqual(['old-chest']);
    const none = expand(store, { url: VS, filter: 'knee' }).expansion!;
    expect([none.total, none.contains]).toEqual([0, []]);
  });

  it('pages with offset and count, total staying the filtered size', () => {
    const page = expand(store, { url: VS, offset: 2, count: 3, activeOnly: true }).expansion!;
    expect(page.total).toBe(9);
    expect(page.offset).toBe(2);
    expect(page.contains?.map((entry) => entry.code)).toEqual(['brain', 'skull', 'chest']);
    expect(page.parameter).toEqual([
      { name: 'offset', valueInteger: 2 },
      { name: 'count', valueInteger: 3 },
      { name: 'activeOnly', valueBoolean: true },
    ]);
    expect(expand(store, { url: VS, offset: 50 }).expansion?.contains).toEqual([]);
    expect(expand(store, { url: VS, count: 0 }).expansion).toMatchObject({ total: 10, contains: [] });
  });

  it('rejects negative or fractional paging and an unknown ValueSet', () => {
    expect(terminologyErrorCode(thrownBy(() => expand(store, { url: VS, offset: -1 })))).toBe('SIMPUL-TERM-001');
    expect(terminologyErrorCode(thrownBy(() => expand(store, { url: VS, count: 1.5 })))).toBe('SIMPUL-TERM-001');
    const unknown = thrownBy(() => expand(store, { url: 'http://example.org/vs/none' }));
    expect(terminologyErrorCode(unknown)).toBe('SIMPUL-TERM-002');
    expect(getStatus((unknown as OperationOutcomeError).outcome)).toBe(404);
  });
});

describe('expand: what cannot be expanded', () => {
  it('explains each case with SIMPUL-TERM-008', () => {
    const cases: Array<[Parameters<typeof valueSet>[1], string]> = [
      [{ include: [{ system: SECRET }] }, 'loaded without its codes (content: not-present)'],
      [{ include: [{ system: 'http://unloaded.example' }] }, 'which is not loaded'],
      [{ include: [{ system: BODY, concept: [{ code: 'knee' }] }] }, 'includes code "knee", which code system http://example.org/cs/body does not define'],
      [{ include: [{ valueSet: ['http://example.org/vs/missing'] }] }, 'includes ValueSet http://example.org/vs/missing, which is not loaded'],
      [{ include: [{ system: BODY, filter: [{ property: 'modality', op: 'is-a', value: 'CT' }] }] }, 'filter is-a works on property "concept"'],
      [{ include: [{ system: BODY, filter: [{ property: 'concept', op: 'regex', value: '(' }] }] }, 'regex "(" is not valid'],
    ];
    for (const [compose, message] of cases) {
      const error = thrownBy(() => codesOf(fixtureStore(), compose));
      expect(terminologyErrorCode(error)).toBe('SIMPUL-TERM-008');
      expect((error as Error).message).toContain(message);
    }
  });

  it('detects include cycles', () => {
    const store = fixtureStore();
    store.add(valueSet('http://example.org/vs/a', { include: [{ valueSet: ['http://example.org/vs/b'] }] }));
    store.add(valueSet('http://example.org/vs/b', { include: [{ valueSet: ['http://example.org/vs/a'] }] }));
    expect((thrownBy(() => expand(store, { url: 'http://example.org/vs/a' })) as Error).message).toContain('ValueSet include cycle: http://example.org/vs/a → http://example.org/vs/b → http://example.org/vs/a');
  });

  it('refuses expansions above the size limit', () => {
    const store = fixtureStore();
    const concept = Array.from({ length: MAX_EXPANSION_SIZE + 1 }, (_, i) => ({ code: `c${i}` }));
    store.add({ resourceType: 'CodeSystem', url: 'http://example.org/cs/huge', status: 'active', content: 'complete', concept });
    store.add(valueSet(VS, { include: [{ system: 'http://example.org/cs/huge' }] }));
    expect(terminologyErrorCode(thrownBy(() => expand(store, { url: VS, count: 10 })))).toBe('SIMPUL-TERM-009');
  });
});

describe('expand: caching', () => {
  it('serves the cached expansion until a code system it uses changes', () => {
    const store = fixtureStore();
    store.add(valueSet(VS, { include: [{ system: BODY, filter: [{ property: 'concept', op: 'is-a', value: 'chest' }] }] }));
    const first = expand(store, { url: VS }).expansion!;
    expect(expand(store, { url: VS }).expansion?.contains).toEqual(first.contains);
    store.add({ ...bodySites, concept: [...bodySites.concept!, { code: 'ribs', display: 'Ribs', property: [{ code: 'parent', valueCode: 'chest' }] }] });
    expect(expand(store, { url: VS }).expansion?.contains?.map((entry) => entry.code)).toEqual(['chest', 'lung', 'heart', 'ribs']);
  });
});
