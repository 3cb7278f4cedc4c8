import { describe, expect, it } from 'vitest';
import { findBindingViolation, isBindableType } from './binding-check.ts';
import type { ValueSetExpansion } from './value-set-expansion.ts';

const GENDER = 'http://hl7.org/fhir/administrative-gender';

function expansion(overrides: Partial<ValueSetExpansion> = {}): ValueSetExpansion {
  const codesBySystem = overrides.codesBySystem ?? new Map([[GENDER, new Set(['male', 'female', 'other', 'unknown'])]]);
  return {
    url: 'urn:vs:test',
    codesBySystem,
    allCodes: new Set([...codesBySystem.values()].flatMap((codes) => [...codes])),
    openSystems: new Set(),
    indeterminate: false,
    gaps: [],
    ...overrides,
  };
}

const gender = expansion();
const withOpenSystem = expansion({ openSystems: new Set(['urn:ietf:bcp:13']) });

describe('findBindingViolation', () => {
  it('checks code, string and uri values against every enumerated code', () => {
    expect(findBindingViolation(gender, 'code', 'female')).toBeUndefined();
    expect(findBindingViolation(gender, 'string', 'male')).toBeUndefined();
    expect(findBindingViolation(gender, 'code', 'Female')).toBe(
      'Value "Female" is not in the required value set urn:vs:test (allowed: male, female, other, unknown)'
    );
    expect(findBindingViolation(gender, 'uri', 'urn:x')).toContain('"urn:x"');
  });

  it('accepts any bare code when some included system cannot be enumerated (codes carry no system)', () => {
    expect(findBindingViolation(withOpenSystem, 'code', 'anything')).toBeUndefined();
  });

  it('accepts everything when the value set is indeterminate', () => {
    const unknown = expansion({ indeterminate: true, codesBySystem: new Map() });
    expect(findBindingViolation(unknown, 'code', 'x')).toBeUndefined();
    expect(findBindingViolation(unknown, 'CodeableConcept', { text: 'x' })).toBeUndefined();
  });

  it('checks Coding by system and code', () => {
    expect(findBindingViolation(gender, 'Coding', { system: GENDER, code: 'male' })).toBeUndefined();
    expect(findBindingViolation(gender, 'Coding', { system: 'urn:other', code: 'male' })).toContain('urn:other|male');
    expect(findBindingViolation(gender, 'Coding', { system: GENDER, code: 'robot' })).toContain(`${GENDER}|robot`);
    expect(findBindingViolation(gender, 'Coding', { system: GENDER, display: 'Male' })).toContain('has no code');
    expect(findBindingViolation(gender, 'Coding', { code: 'male' })).toBeUndefined();
    expect(findBindingViolation(gender, 'Coding', { code: 'robot' })).toContain('(no system)|robot');
    expect(findBindingViolation(withOpenSystem, 'Coding', { system: 'urn:ietf:bcp:13', code: 'text/plain' })).toBeUndefined();
  });

  it('accepts a CodeableConcept when at least one coding is in the value set', () => {
    const concept = { coding: [{ system: 'urn:local', code: 'L' }, { system: GENDER, code: 'female' }], text: 'F' };
    expect(findBindingViolation(gender, 'CodeableConcept', concept)).toBeUndefined();
  });

  it('rejects a CodeableConcept with only foreign codings or only text', () => {
    const foreign = findBindingViolation(gender, 'CodeableConcept', { coding: [{ system: 'urn:local', code: 'F' }] });
    expect(foreign).toBe(
      'None of the codings (urn:local|F) is in the required value set urn:vs:test (allowed: male, female, other, unknown)'
    );
    expect(findBindingViolation(gender, 'CodeableConcept', { text: 'female' })).toContain('has no coding');
    expect(findBindingViolation(gender, 'CodeableConcept', { coding: [] })).toContain('has no coding');
    expect(findBindingViolation(gender, 'CodeableConcept', { coding: 'female' })).toContain('has no coding');
  });

  it('checks a coded Quantity unit and leaves free-text units alone', () => {
    const units = expansion({ codesBySystem: new Map([['http://unitsofmeasure.org', new Set(['mg'])]]) });
    expect(findBindingViolation(units, 'Quantity', { value: 1, system: 'http://unitsofmeasure.org', code: 'mg' })).toBeUndefined();
    expect(findBindingViolation(units, 'Quantity', { value: 1, system: 'http://unitsofmeasure.org', code: 'gallon' })).toContain('gallon');
    expect(findBindingViolation(units, 'Age', { value: 1, unit: 'years' })).toBeUndefined();
  });

  it('leaves values of the wrong JSON shape to structural validation', () => {
    expect(findBindingViolation(gender, 'code', 42)).toBeUndefined();
    expect(findBindingViolation(gender, 'Coding', 'male')).toBeUndefined();
    expect(findBindingViolation(gender, 'CodeableConcept', ['male'])).toBeUndefined();
    expect(findBindingViolation(gender, 'CodeableConcept', null)).toBeUndefined();
  });

  it('does not list the allowed codes of a large value set', () => {
    const many = expansion({ codesBySystem: new Map([['urn:s', new Set(Array.from({ length: 50 }, (_, i) => `c${i}`))]]) });
    expect(findBindingViolation(many, 'code', 'x')).toBe('Value "x" is not in the required value set urn:vs:test');
  });
});

describe('isBindableType', () => {
  it('covers the terminology types and nothing else', () => {
    for (const type of ['code', 'string', 'uri', 'Coding', 'CodeableConcept', 'Quantity', 'SimpleQuantity', 'Duration']) {
      expect(isBindableType(type), type).toBe(true);
    }
    for (const type of ['boolean', 'Reference', 'HumanName', 'canonical']) {
      expect(isBindableType(type), type).toBe(false);
    }
  });
});
