import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { adaptCoreIssues, resolveChoicePath } from './core-issues.ts';

function coreIssue(text: string, path?: string, severity: OperationOutcomeIssue['severity'] = 'error'): OperationOutcomeIssue {
  return { severity, code: 'structure', details: { text }, ...(path ? { expression: [path] } : undefined) };
}

describe('resolveChoicePath', () => {
  const observation = {
    resourceType: 'Observation',
    valueQuantity: { value: 'x' },
    component: [{ valueString: 'a' }, { valueCodeableConcept: { coding: [{ code: 'c' }] } }],
  };

  it('names the choice property present in the resource', () => {
    expect(resolveChoicePath('Observation.value[x].value', observation)).toBe('Observation.valueQuantity.value');
    expect(resolveChoicePath('Observation.component[1].value[x].coding[0].code', observation)).toBe(
      'Observation.component[1].valueCodeableConcept.coding[0].code'
    );
    expect(resolveChoicePath('Observation.component[0].value[x]', observation)).toBe('Observation.component[0].valueString');
  });

  it('leaves paths without choices, or that cannot be followed, unchanged', () => {
    expect(resolveChoicePath('Observation.status', observation)).toBe('Observation.status');
    expect(resolveChoicePath('Observation.effective[x]', observation)).toBe('Observation.effective[x]');
    expect(resolveChoicePath('Observation.component[7].value[x]', observation)).toBe('Observation.component[7].value[x]');
    expect(resolveChoicePath('Observation.value[x]', 'not an object')).toBe('Observation.value[x]');
  });

  it('does not mistake a longer property name for a choice ("valueSet" is not value[x] of type Set)', () => {
    expect(resolveChoicePath('X.value[x]', { resourceType: 'X', values: 1, valueBoolean: true })).toBe('X.valueBoolean');
  });
});

describe('adaptCoreIssues', () => {
  it('keeps errors only and gives them finer codes from their text', () => {
    const adapted = adaptCoreIssues(
      [
        coreIssue('Missing required property', 'Observation.code'),
        coreIssue('Invalid date format', 'Patient.birthDate'),
        coreIssue('Invalid dateTime value', 'Observation.effectiveDateTime'),
        coreIssue('Expected number to be an integer', 'Patient.multipleBirthInteger'),
        coreIssue('Invalid additional property "foo"', 'Patient.foo'),
        coreIssue('Invalid reference', 'Observation.subject', 'warning'),
      ],
      {}
    );
    expect(adapted.map((issue) => [issue.code, issue.expression?.[0]])).toEqual([
      ['required', 'Observation.code'],
      ['value', 'Patient.birthDate'],
      ['value', 'Observation.effectiveDateTime'],
      ['value', 'Patient.multipleBirthInteger'],
      ['structure', 'Patient.foo'],
    ]);
  });

  it('keeps invariant issues as they are and omits an empty expression', () => {
    const invariant: OperationOutcomeIssue = {
      severity: 'error',
      code: 'invariant',
      details: { text: 'Constraint bdl-3 not met' },
      expression: ['Bundle'],
    };
    expect(adaptCoreIssues([invariant], {})).toEqual([invariant]);
    expect(adaptCoreIssues([{ ...coreIssue('Unknown data type: Foo'), expression: [] }], {})).toEqual([
      { severity: 'error', code: 'structure', details: { text: 'Unknown data type: Foo' } },
    ]);
  });
});
