import { OperationOutcomeError, Operator } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadFhirDefinitions } from '../definitions/load-definitions.ts';
import { AccessPolicy } from './access-policy.ts';
import type { AuthContext } from './auth-context.ts';
import { isInPatientCompartment, patientCompartmentFilter } from './patient-compartment.ts';
import { parseSmartScopes } from './smart-scopes.ts';

const BASE = 'http://hub.test/fhir/R4';
const LAB_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';

beforeAll(() => loadFhirDefinitions());

function policy(scope: string, extra: Partial<AuthContext> = {}): AccessPolicy {
  const kind = extra.kind ?? (scope.includes('system/') ? 'client' : 'user');
  return new AccessPolicy(
    { kind, clientId: 'c', subject: 's', scope, smartScopes: parseSmartScopes(scope), admin: false, tokenId: 'j', issuedAt: 0, expiresAt: 0, ...extra },
    BASE,
  );
}

function observation(patientId: string, category = 'laboratory', extra: Record<string, unknown> = {}): Resource {
  return {
    resourceType: 'Observation',
    id: `obs-${patientId}-${category}`,
    status: 'final',
    code: { text: 'x' },
    subject: { reference: `Patient/${patientId}` },
    category: [{ coding: [{ system: LAB_SYSTEM, code: category }] }],
    ...extra,
  } as Resource;
}

function statusOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as OperationOutcomeError).outcome.issue?.[0]?.details?.coding?.[0]?.code;
  }
}

describe('patient compartment', () => {
  test('uses the record-subject parameter of each type', () => {
    expect(patientCompartmentFilter('Observation', 'p1')).toEqual({ code: 'subject', operator: Operator.EQUALS, value: 'Patient/p1' });
    expect(patientCompartmentFilter('AllergyIntolerance', 'p1')?.code).toBe('patient');
    expect(patientCompartmentFilter('Coverage', 'p1')?.code).toBe('beneficiary');
    expect(patientCompartmentFilter('Patient', 'p1')).toEqual({ code: '_id', operator: Operator.EQUALS, value: 'p1' });
    expect(patientCompartmentFilter('Practitioner', 'p1')).toBeUndefined();
    expect(patientCompartmentFilter('Group', 'p1')).toBeUndefined();
  });

  test('membership by relative or own absolute reference; a performer role is not enough', () => {
    expect(isInPatientCompartment(observation('p1'), 'p1', BASE)).toBe(true);
    expect(isInPatientCompartment(observation('p2'), 'p1', BASE)).toBe(false);
    const absolute = observation('x', 'laboratory', { subject: { reference: `${BASE}/Patient/p1` } });
    expect(isInPatientCompartment(absolute, 'p1', BASE)).toBe(true);
    const foreign = observation('x', 'laboratory', { subject: { reference: 'https://other.example/fhir/Patient/p1' } });
    expect(isInPatientCompartment(foreign, 'p1', BASE)).toBe(false);
    const performedByP1 = observation('p2', 'laboratory', { performer: [{ reference: 'Patient/p1' }] });
    expect(isInPatientCompartment(performedByP1, 'p1', BASE)).toBe(false);
    expect(isInPatientCompartment({ resourceType: 'Patient', id: 'p1' } as Resource, 'p1', BASE)).toBe(true);
  });
});

describe('AccessPolicy', () => {
  test('v1 patient/Observation.read: read and search own observations, no writes, no other types', () => {
    const p = policy('patient/Observation.read', { patientId: 'p1' });
    expect(p.permits(observation('p1'), 'read')).toBe(true);
    expect(p.permits(observation('p2'), 'read')).toBe(false);
    expect(statusOf(() => p.assertAllowed('Observation', 'create'))).toBe('SIMPUL-AUTH-003');
    expect(statusOf(() => p.assertAllowed('Patient', 'read'))).toBe('SIMPUL-AUTH-003');
    expect(p.searchPlan('Observation')).toEqual({ kind: 'filters', filters: [patientCompartmentFilter('Observation', 'p1')] });
  });

  test('patient/ scopes grant nothing without a patient, and nothing outside the compartment types', () => {
    expect(statusOf(() => policy('patient/*.rs').assertAllowed('Observation', 'read'))).toBe('SIMPUL-AUTH-003');
    expect(statusOf(() => policy('patient/*.rs', { patientId: 'p1' }).assertAllowed('Practitioner', 'read'))).toBe('SIMPUL-AUTH-003');
  });

  test('contexts belong to token kinds: system/ only for clients, user/ and patient/ only for people', () => {
    expect(statusOf(() => policy('system/*.*', { kind: 'user' }).assertAllowed('Patient', 'read'))).toBe('SIMPUL-AUTH-003');
    expect(statusOf(() => policy('user/*.*', { kind: 'client' }).assertAllowed('Patient', 'read'))).toBe('SIMPUL-AUTH-003');
    expect(policy('system/*.*').isUnrestricted('Patient', 'delete')).toBe(true);
  });

  test('v1 system/*.write writes but neither reads nor searches', () => {
    const p = policy('system/*.write');
    expect(p.permits(observation('p1'), 'create')).toBe(true);
    expect(statusOf(() => p.assertAllowed('Observation', 'read'))).toBe('SIMPUL-AUTH-003');
    expect(statusOf(() => p.searchPlan('Observation'))).toBe('SIMPUL-AUTH-003');
  });

  test('a signed-in Patient is confined to their compartment even with user/*.*', () => {
    const p = policy('user/*.*', { fhirUser: 'Patient/p1' });
    expect(p.permits(observation('p1'), 'update')).toBe(true);
    expect(p.permits(observation('p2'), 'read')).toBe(false);
    expect(p.isUnrestricted('Observation', 'search')).toBe(false);
  });

  test('granular v2 scopes restrict by query; same-parameter queries OR into one filter', () => {
    const lab = `patient/Observation.rs?category=${LAB_SYSTEM}|laboratory`;
    const vitals = `patient/Observation.rs?category=${LAB_SYSTEM}|vital-signs`;
    const p = policy(`${lab} ${vitals}`, { patientId: 'p1' });
    expect(p.permits(observation('p1', 'laboratory'), 'read')).toBe(true);
    expect(p.permits(observation('p1', 'vital-signs'), 'read')).toBe(true);
    expect(p.permits(observation('p1', 'imaging'), 'read')).toBe(false);
    expect(p.permits(observation('p2', 'laboratory'), 'read')).toBe(false);
    expect(p.searchPlan('Observation')).toEqual({
      kind: 'filters',
      filters: [
        patientCompartmentFilter('Observation', 'p1'),
        { code: 'category', operator: Operator.EQUALS, value: `${LAB_SYSTEM}|laboratory,${LAB_SYSTEM}|vital-signs` },
      ],
    });
  });

  test('restrictions that cannot be one filter fall back to filtering in memory', () => {
    const p = policy('user/Observation.rs?status=final user/Observation.rs?category=lab', { kind: 'user' });
    expect(p.searchPlan('Observation').kind).toBe('post-filter');
    expect(policy('user/Observation.rs user/Observation.rs?status=final').searchPlan('Observation')).toEqual({ kind: 'unrestricted' });
  });

  test('chained parameters and _has need search on every type they reach', () => {
    const p = policy('system/Observation.rs');
    expect(statusOf(() => p.assertChainsAllowed('Observation', [{ code: 'subject:Patient.name', operator: Operator.EQUALS, value: 'x' }]))).toBe('SIMPUL-AUTH-003');
    expect(statusOf(() => policy('system/Patient.rs').assertChainsAllowed('Patient', [{ code: '_has:Observation:subject:code', operator: Operator.EQUALS, value: 'x' }]))).toBe('SIMPUL-AUTH-003');
    expect(statusOf(() => policy('system/Observation.rs system/Patient.rs').assertChainsAllowed('Observation', [{ code: 'subject:Patient.name', operator: Operator.EQUALS, value: 'x' }]))).toBeUndefined();
    expect(statusOf(() => policy('system/Observation.rs system/Patient.rs').assertChainsAllowed('Observation', [{ code: 'subject.name', operator: Operator.EQUALS, value: 'x' }]))).toBe('SIMPUL-AUTH-003');
  });
});
