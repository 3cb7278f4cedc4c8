import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { initValidation, validateFhirResource } from './index.ts';
import { imagingStudy, minimalClaim, observation, patient, serviceRequest, transaction } from './sample-resources.ts';

beforeAll(() => {
  initValidation();
});

/** The issues validation throws, or [] when the resource is valid. */
function issuesOf(resource: unknown): OperationOutcomeIssue[] {
  try {
    validateFhirResource(resource);
    return [];
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) {
      throw err;
    }
    return err.outcome.issue ?? [];
  }
}

function issueAt(issues: OperationOutcomeIssue[], path: string): OperationOutcomeIssue | undefined {
  return issues.find((issue) => issue.expression?.includes(path));
}

describe('validateFhirResource: valid resources', () => {
  it.each([
    ['Patient', patient],
    ['Observation', observation],
    ['ServiceRequest', serviceRequest],
    ['ImagingStudy', imagingStudy],
    ['Bundle', transaction],
  ])('accepts a typical %s', (_name, resource) => {
    expect(issuesOf(resource)).toEqual([]);
  });

  it('accepts codes from value sets it cannot enumerate (mime types, currencies, UCUM units)', () => {
    const binary = { resourceType: 'Binary', contentType: 'application/dicom+json', data: 'AAEC' };
    const claimTotal = { ...minimalClaim(), total: { value: 10, currency: 'IDR' } };
    expect(issuesOf(binary)).toEqual([]);
    expect(issuesOf(claimTotal)).toEqual([]);
  });
});

describe('validateFhirResource: required bindings', () => {
  it('rejects Patient.gender outside administrative-gender', () => {
    const issues = issuesOf({ ...patient, gender: 'xx' });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', code: 'code-invalid', expression: ['Patient.gender'] });
    expect(issues[0].details?.text).toContain('"xx"');
    expect(issues[0].details?.text).toContain('administrative-gender');
  });

  it('rejects Observation.status outside observation-status', () => {
    const issues = issuesOf({ ...observation, status: 'bogus' });
    expect(issues).toEqual([expect.objectContaining({ code: 'code-invalid', expression: ['Observation.status'] })]);
  });

  it('checks datatype elements: HumanName.use inside Patient.name[0]', () => {
    const issues = issuesOf({ ...patient, name: [{ use: 'weird', family: 'X' }] });
    expect(issues).toEqual([expect.objectContaining({ code: 'code-invalid', expression: ['Patient.name[0].use'] })]);
  });

  it('checks Identifier.use inside Patient.identifier[1]', () => {
    const identifier = [patient.identifier[0], { ...patient.identifier[1], use: 'primary' }];
    const issues = issuesOf({ ...patient, identifier });
    expect(issues).toEqual([
      expect.objectContaining({ code: 'code-invalid', expression: ['Patient.identifier[1].use'] }),
    ]);
  });

  it('checks ContactPoint.system, Address.use, Narrative.status and Quantity.comparator', () => {
    const issues = issuesOf({
      ...patient,
      telecom: [{ system: 'pager-ish', value: '1' }],
      address: [{ use: 'castle' }],
      text: { status: 'handwritten', div: patient.text.div },
    });
    expect(issues.map((issue) => issue.expression?.[0]).sort()).toEqual([
      'Patient.address[0].use',
      'Patient.telecom[0].system',
      'Patient.text.status',
    ]);
    const quantityIssues = issuesOf({ ...observation, valueQuantity: { ...observation.valueQuantity, comparator: '~' } });
    expect(quantityIssues).toEqual([
      expect.objectContaining({ code: 'code-invalid', expression: ['Observation.valueQuantity.comparator'] }),
    ]);
  });

  it('checks backbone elements and nested datatypes (Timing.repeat.periodUnit in a MedicationRequest)', () => {
    const request = {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p-1' },
      medicationCodeableConcept: { text: 'paracetamol' },
      dosageInstruction: [{ timing: { repeat: { frequency: 3, period: 1, periodUnit: 'fortnight' } } }],
    };
    expect(issuesOf(request)).toEqual([
      expect.objectContaining({
        code: 'code-invalid',
        expression: ['MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit'],
      }),
    ]);
    const valid = structuredClone(request);
    valid.dosageInstruction[0].timing.repeat.periodUnit = 'd';
    expect(issuesOf(valid)).toEqual([]);
  });

  it('checks Bundle.type and the resources inside Bundle entries', () => {
    const bundle = structuredClone(transaction) as typeof transaction;
    bundle.type = 'pile' as typeof bundle.type;
    (bundle.entry[1].resource as { status: string }).status = 'done';
    bundle.entry[0].request.method = 'FETCH';
    const issues = issuesOf(bundle);
    expect(issues.filter((issue) => issue.code === 'code-invalid').map((issue) => issue.expression?.[0])).toEqual([
      'Bundle.type',
      'Bundle.entry[0].request.method',
      'Bundle.entry[1].resource.status',
    ]);
    // With an unknown type, core's invariant bdl-3 (entry.request only in batch/transaction/history) fails too.
    expect(issues.filter((issue) => issue.code !== 'code-invalid')).toEqual([
      expect.objectContaining({ code: 'invariant', expression: ['Bundle'] }),
    ]);
  });

  it('checks contained resources', () => {
    const contained = { resourceType: 'Observation', id: 'obs', status: 'almost', code: { text: 'x' } };
    const issues = issuesOf({ ...serviceRequest, contained: [contained], supportingInfo: [{ reference: '#obs' }] });
    expect(issues).toEqual([
      expect.objectContaining({ code: 'code-invalid', expression: ['ServiceRequest.contained[0].status'] }),
    ]);
  });

  describe('CodeableConcept under a required binding (Condition.clinicalStatus)', () => {
    const condition = { resourceType: 'Condition', subject: { reference: 'Patient/p-1' } };
    const clinical = 'http://terminology.hl7.org/CodeSystem/condition-clinical';

    it('accepts a coding from the value set, also next to codings from other systems', () => {
      const clinicalStatus = {
        coding: [
          { system: 'http://snomed.info/sct', code: '55561003' },
          { system: clinical, code: 'active' },
        ],
      };
      expect(issuesOf({ ...condition, clinicalStatus })).toEqual([]);
    });

    it('rejects codings from a foreign system only', () => {
      const issues = issuesOf({ ...condition, clinicalStatus: { coding: [{ system: 'http://snomed.info/sct', code: '55561003' }] } });
      expect(issues).toEqual([
        expect.objectContaining({ code: 'code-invalid', expression: ['Condition.clinicalStatus'] }),
      ]);
      expect(issues[0].details?.text).toContain('http://snomed.info/sct|55561003');
    });

    it('rejects the value set system with a code outside it, and a text-only concept', () => {
      expect(issuesOf({ ...condition, clinicalStatus: { coding: [{ system: clinical, code: 'zombie' }] } })).toHaveLength(1);
      const textOnly = issuesOf({ ...condition, clinicalStatus: { text: 'active' } });
      expect(textOnly).toEqual([expect.objectContaining({ code: 'code-invalid', expression: ['Condition.clinicalStatus'] })]);
      expect(textOnly[0].details?.text).toContain('has no coding');
    });
  });
});

describe('validateFhirResource: structure', () => {
  it('rejects Observation.code of the wrong type with one issue, not one per character', () => {
    for (const code of ['8867-4', 42, true, [{ text: 'x' }]]) {
      const issues = issuesOf({ ...observation, code });
      expect(issues, JSON.stringify(code)).toHaveLength(1);
      expect(issues[0]).toMatchObject({ code: 'structure', expression: ['Observation.code'] });
    }
    expect(issuesOf({ ...observation, code: '8867-4' })[0].details?.text).toBe(
      'Expected CodeableConcept (a JSON object), but found string'
    );
  });

  it('rejects a missing required Observation.code', () => {
    const { code: _code, ...withoutCode } = observation;
    expect(issuesOf(withoutCode)).toEqual([
      expect.objectContaining({ severity: 'error', code: 'required', expression: ['Observation.code'] }),
    ]);
  });

  it('rejects unknown properties, including names every JavaScript object has', () => {
    for (const name of ['foo', 'constructor', 'toString', '__proto__', 'value[x]']) {
      const resource = JSON.parse(`{"resourceType":"Patient","${name}":1}`);
      expect(issuesOf(resource), name).toEqual([
        expect.objectContaining({ code: 'structure', expression: [`Patient.${name}`] }),
      ]);
    }
    expect(issuesOf({ ...patient, name: [{ family: 'X', nickname: 'Y' }] })).toEqual([
      expect.objectContaining({ expression: ['Patient.name[0].nickname'] }),
    ]);
  });

  it('rejects a bad date format', () => {
    const issues = issuesOf({ ...patient, birthDate: '2020-13-45' });
    expect(issues).toEqual([expect.objectContaining({ code: 'value', expression: ['Patient.birthDate'] })]);
  });

  it('names array items with indexes', () => {
    const issues = issuesOf({ ...patient, name: [{ family: 'X', given: ['A', 7] }] });
    expect(issues).toEqual([expect.objectContaining({ expression: ['Patient.name[0].given[1]'] })]);
  });

  it('names choice elements by the property present (valueQuantity, not value[x])', () => {
    const issues = issuesOf({ ...observation, valueQuantity: { value: 'seventy-two' } });
    expect(issues).toEqual([expect.objectContaining({ expression: ['Observation.valueQuantity.value'] })]);
  });

  it('rejects a choice property whose type suffix is not allowed', () => {
    const issues = issuesOf({ ...observation, valueHumanName: { family: 'X' } });
    expect(issues).toEqual([expect.objectContaining({ expression: ['Observation.valueHumanName'] })]);
  });

  it('rejects contained resources of unknown type or without resourceType', () => {
    expect(issuesOf({ ...patient, contained: [{ resourceType: 'Spaceship', id: 'x' }] })).toEqual([
      expect.objectContaining({ expression: ['Patient.contained[0].resourceType'] }),
    ]);
    expect(issuesOf({ ...patient, contained: [{ id: 'x' }] })).toEqual(
      expect.arrayContaining([expect.objectContaining({ expression: ['Patient.contained[0].resourceType'] })])
    );
  });

  it('gives every issue severity error, a code, a text and an expression', () => {
    const issues = issuesOf({
      ...patient,
      gender: 'xx',
      birthDate: 'yesterday',
      foo: 1,
      name: [{ use: 'weird', given: [1] }],
      contained: [{ resourceType: 'Observation', status: 'bogus', valueQuantity: { value: 'x' } }],
    });
    expect(issues.length).toBeGreaterThanOrEqual(7);
    for (const issue of issues) {
      expect(issue.severity).toBe('error');
      expect(issue.code).toMatch(/^(structure|required|value|code-invalid|invariant)$/);
      expect(issue.details?.text).toBeTruthy();
      expect(issue.expression?.[0]).toMatch(/^Patient(\.|$)/);
    }
    expect(issueAt(issues, 'Patient.contained[0].code')?.code).toBe('required');
    expect(issueAt(issues, 'Patient.contained[0].valueQuantity.value')).toBeDefined();
  });
});
