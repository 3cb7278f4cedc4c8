import { describe, expect, it } from 'vitest';
import { parsePersonName } from './person-name.ts';

describe('parsePersonName', () => {
  it('splits family^given^middle^prefix^suffix', () => {
    expect(parsePersonName([{ Alphabetic: 'Santoso^Budi^Hartono^dr.^Sp.Rad' }])).toEqual({
      text: 'dr. Budi Hartono Santoso Sp.Rad',
      family: 'Santoso',
      given: ['Budi', 'Hartono'],
      prefix: ['dr.'],
      suffix: ['Sp.Rad'],
    });
  });

  it('does not split a name without "^": Indonesian single names carry no family name', () => {
    expect(parsePersonName([{ Alphabetic: 'Sukarno' }])).toEqual({ text: 'Sukarno' });
    expect(parsePersonName([{ Alphabetic: 'BUDI  SANTOSO ' }])).toEqual({ text: 'BUDI SANTOSO' });
  });

  it('keeps a lone component where it was put', () => {
    expect(parsePersonName([{ Alphabetic: 'Sukarno^' }])).toEqual({ text: 'Sukarno', family: 'Sukarno' });
    expect(parsePersonName([{ Alphabetic: '^Sukarno' }])).toEqual({ text: 'Sukarno', given: ['Sukarno'] });
  });

  it('reads raw strings with component groups, and keeps the ideographic and phonetic groups', () => {
    expect(parsePersonName('Yamada^Tarou=山田^太郎=やまだ^たろう')).toEqual({
      text: 'Tarou Yamada',
      family: 'Yamada',
      given: ['Tarou'],
      ideographic: '山田^太郎',
      phonetic: 'やまだ^たろう',
    });
  });

  it('returns undefined for empty names', () => {
    for (const value of [undefined, '', '^^^^', [{ Alphabetic: ' ' }], [], 42]) {
      expect(parsePersonName(value)).toBeUndefined();
    }
  });
});
