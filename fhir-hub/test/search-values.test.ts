import { describe, expect, it } from 'vitest';
import { parseReferenceString } from '../src/search/reference-string.ts';
import { splitOrValues, splitPipes, unescapeSearchValue } from '../src/search/search-value.ts';
import { escapeLikePattern, normalizeSearchText, prefixUpperBound, sanitizeText } from '../src/search/text-normalize.ts';

describe('search value syntax', () => {
  it.each([
    ['a,b', ['a', 'b']],
    ['a\\,b,c', ['a\\,b', 'c']],
    ['sys|a\\|b,x', ['sys|a\\|b', 'x']],
    [',a,,', ['a']],
    ['trailing\\', ['trailing\\']],
  ])('splitOrValues(%j)', (input, expected) => {
    expect(splitOrValues(input)).toEqual(expected);
  });

  it.each([
    ['sys|code', ['sys', 'code']],
    ['|code', ['', 'code']],
    ['sys|', ['sys', '']],
    ['a\\|b', ['a|b']],
    ['5.4|http://unitsofmeasure.org|mg', ['5.4', 'http://unitsofmeasure.org', 'mg']],
    ['x\\,y\\\\z\\$', ['x,y\\z$']],
  ])('splitPipes(%j)', (input, expected) => {
    expect(splitPipes(input)).toEqual(expected);
  });

  it('leaves unknown escapes alone', () => {
    expect(unescapeSearchValue('a\\nb')).toBe('a\\nb');
  });
});

describe('text normalisation', () => {
  it.each([
    ['Ďurík', 'durik'],
    ['İNCE', 'ince'],
    ['Crème Brûlée', 'creme brulee'],
    ['ŠKODA', 'skoda'],
    ['nul\u0000char', 'nulchar'],
  ])('normalizeSearchText(%j) = %j', (input, expected) => {
    expect(normalizeSearchText(input)).toBe(expected);
  });

  it('caps normalised text at 512 characters', () => {
    expect(normalizeSearchText('A'.repeat(600))).toBe('a'.repeat(512));
  });

  it.each([
    ['abc', 'abd'],
    ['az', 'a{'],
    ['a\u{10FFFF}', 'b'],
    ['\u{10FFFF}', undefined],
    ['a\uD7FF', 'a\uE000'],
    ['é', 'ê'],
  ])('prefixUpperBound(%j)', (input, expected) => {
    expect(prefixUpperBound(input)).toBe(expected);
    if (expected !== undefined) {
      // every string that starts with the prefix sorts below the bound in code point order
      expect(Buffer.compare(Buffer.from(input + '\u{10FFFE}zz'), Buffer.from(expected))).toBe(-1);
    }
  });

  it('escapes LIKE wildcards and its escape character', () => {
    expect(escapeLikePattern('100%_a\\b')).toBe('100\\%\\_a\\\\b');
  });

  it('drops NUL, which PostgreSQL text cannot hold', () => {
    expect(sanitizeText('a\u0000b\u0000')).toBe('ab');
  });
});

describe('parseReferenceString', () => {
  it.each([
    ['Patient/123', { targetType: 'Patient', targetId: '123', targetUrl: null }],
    ['Patient/123/_history/4', { targetType: 'Patient', targetId: '123', targetUrl: null }],
    ['Frobnicator/1', { targetType: null, targetId: null, targetUrl: 'Frobnicator/1' }],
    ['https://x.org/fhir/Patient/1', { targetType: null, targetId: null, targetUrl: 'https://x.org/fhir/Patient/1' }],
    ['urn:uuid:1', { targetType: null, targetId: null, targetUrl: 'urn:uuid:1' }],
    ['#contained', { targetType: null, targetId: null, targetUrl: '#contained' }],
    ['Patient/has space', { targetType: null, targetId: null, targetUrl: 'Patient/has space' }],
  ])('%s', (input, expected) => {
    expect(parseReferenceString(input)).toEqual(expected);
  });
});
