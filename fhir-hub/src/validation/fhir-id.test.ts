import { describe, expect, it } from 'vitest';
import { isValidFhirId } from './fhir-id.ts';

describe('isValidFhirId', () => {
  it('accepts 1 to 64 letters, digits, dashes and dots', () => {
    for (const id of ['a', 'Patient-1', '1.2.840.10008', '0d3c2a1b-5e10-4d2b-9a47-6f1c3c1e2f7a', 'x'.repeat(64)]) {
      expect(isValidFhirId(id), id).toBe(true);
    }
  });

  it('rejects empty, too long and anything with other characters', () => {
    for (const id of ['', 'x'.repeat(65), 'a b', 'a/b', 'a_b', 'a\n', '../etc', 'ä', 'id?x=1', 'a%20']) {
      expect(isValidFhirId(id), JSON.stringify(id)).toBe(false);
    }
  });

  it('rejects non-strings passed in from untyped code', () => {
    expect(isValidFhirId(42 as unknown as string)).toBe(false);
    expect(isValidFhirId(undefined as unknown as string)).toBe(false);
  });
});
