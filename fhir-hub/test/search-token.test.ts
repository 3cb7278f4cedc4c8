import { matchesSearchRequest, parseSearchRequest } from '@medplum/core';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const NIK = 'https://fhir.kemkes.go.id/id/nik';

const resources: Resource[] = [
  {
    resourceType: 'Patient',
    id: 'p1',
    gender: 'male',
    active: true,
    identifier: [
      { system: 'urn:mrn', value: 'A1' },
      { system: NIK, value: '3201' },
    ],
    telecom: [{ system: 'email', value: 'Ana@Example.com' }],
  } satisfies Patient,
  {
    resourceType: 'Patient',
    id: 'p2',
    gender: 'female',
    active: false,
    identifier: [{ value: 'A1' }, { system: 'urn:odd', value: 'x|y' }, { system: 'urn:odd', value: 'a,b' }],
    telecom: [{ system: 'phone', value: '+62 812 0000' }],
  } satisfies Patient,
  { resourceType: 'Patient', id: 'p3', identifier: [{ system: 'urn:mrn', value: 'B2' }] } satisfies Patient,
  {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '1234-5', display: 'Hemoglobin A1c' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
  } satisfies Observation,
  {
    resourceType: 'Observation',
    id: 'o2',
    status: 'preliminary',
    code: { coding: [{ system: 'http://snomed.info/sct', code: '1234-5' }], text: 'Type 2 diabetes mellitus' },
  } satisfies Observation,
  {
    resourceType: 'Observation',
    id: 'o3',
    status: 'final',
    code: { text: 'Blood pressure panel' },
    meta: {
      tag: [{ system: 'urn:simpul:source', code: 'hl7' }],
      profile: ['http://hl7.org/fhir/StructureDefinition/vitalsigns'],
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
      source: 'https://simpul.dev/source/rs-1#msg-42',
    },
  } satisfies Observation,
];

interface Case {
  url: string;
  expected: string[];
  /** Also compare with core's in-memory matcher (where its rules are the same as FHIR's). */
  oracle?: boolean;
}

const cases: Case[] = [
  { url: 'Patient?gender=male', expected: ['p1'], oracle: true },
  { url: 'Patient?gender=male,female', expected: ['p1', 'p2'], oracle: true },
  { url: 'Patient?gender:not=male', expected: ['p2', 'p3'], oracle: true },
  { url: 'Patient?gender:missing=true', expected: ['p3'], oracle: true },
  { url: 'Patient?gender:missing=false', expected: ['p1', 'p2'], oracle: true },
  { url: 'Patient?gender=male&gender=female', expected: [], oracle: true },
  { url: 'Patient?active=true', expected: ['p1'], oracle: true },
  { url: 'Patient?active=false', expected: ['p2'], oracle: true },
  { url: 'Patient?identifier=A1', expected: ['p1', 'p2'], oracle: true },
  { url: 'Patient?identifier=urn:mrn|A1', expected: ['p1'], oracle: true },
  { url: 'Patient?identifier=|A1', expected: ['p2'], oracle: true },
  { url: 'Patient?identifier=urn:mrn|', expected: ['p1', 'p3'], oracle: true },
  { url: `Patient?identifier=${NIK}|3201`, expected: ['p1'], oracle: true },
  { url: 'Patient?identifier=urn:mrn|A1&gender=male', expected: ['p1'], oracle: true },
  { url: 'Patient?identifier=urn:mrn|A1&gender=female', expected: [], oracle: true },
  { url: 'Patient?identifier=urn:mrn|A1,urn:mrn|B2', expected: ['p1', 'p3'], oracle: true },
  { url: 'Patient?identifier=urn:mrn|A1&identifier=urn:mrn|B2', expected: [] },
  // Token values are case-sensitive (FHIR R4 search, token); core's matcher ignores case.
  { url: 'Patient?identifier=a1', expected: [] },
  // Escaped '|' and ',' are part of the value.
  { url: 'Patient?identifier=urn:odd|x\\|y', expected: ['p2'] },
  { url: 'Patient?identifier=x\\|y', expected: ['p2'] },
  { url: 'Patient?identifier=a\\,b', expected: ['p2'] },
  { url: 'Patient?identifier=a', expected: [] },
  // ContactPoint values compare without case.
  { url: 'Patient?email=ana@example.com', expected: ['p1'], oracle: true },
  { url: 'Patient?email=Ana@Example.COM', expected: ['p1'], oracle: true },
  { url: 'Patient?telecom=phone|%2B62 812 0000', expected: ['p2'], oracle: true },
  { url: 'Patient?_id=p1,p3', expected: ['p1', 'p3'], oracle: true },
  { url: 'Patient?_id:not=p1', expected: ['p2', 'p3'] },
  { url: 'Observation?code=1234-5', expected: ['o1', 'o2'], oracle: true },
  { url: 'Observation?code=http://loinc.org|1234-5', expected: ['o1'], oracle: true },
  { url: 'Observation?code=http://snomed.info/sct|', expected: ['o2'], oracle: true },
  { url: 'Observation?code:not=http://loinc.org|1234-5', expected: ['o2', 'o3'], oracle: true },
  { url: 'Observation?code:text=hemo', expected: ['o1'] },
  { url: 'Observation?code:text=DIABETES', expected: ['o2'] },
  { url: 'Observation?code:text=pressure,hemoglobin', expected: ['o1', 'o3'] },
  { url: 'Observation?code:text=mellitus type', expected: [] },
  { url: 'Observation?status=final', expected: ['o1', 'o3'], oracle: true },
  { url: 'Observation?category=laboratory', expected: ['o1'], oracle: true },
  { url: 'Observation?_tag=urn:simpul:source|hl7', expected: ['o3'], oracle: true },
  { url: 'Observation?_tag:missing=true', expected: ['o1', 'o2'] },
  { url: 'Observation?_profile=http://hl7.org/fhir/StructureDefinition/vitalsigns', expected: ['o3'] },
  { url: 'Observation?_profile:missing=true', expected: ['o1', 'o2'] },
  { url: 'Observation?_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R', expected: ['o3'] },
  { url: 'Observation?_security:not=R', expected: ['o1', 'o2'] },
  { url: 'Observation?_source=https://simpul.dev/source/rs-1%23msg-42', expected: ['o3'] },
  { url: 'Observation?_source:below=https://simpul.dev/source/', expected: ['o3'] },
];

describe('token search', () => {
  let fixture: SearchFixture;

  beforeAll(async () => {
    fixture = await createSearchFixture();
    for (const resource of resources) {
      await fixture.add(resource);
    }
  });
  afterAll(async () => {
    await fixture.drop();
  });

  it.each(cases)('$url', async ({ url, expected, oracle }) => {
    const ids = await fixture.ids(url);
    expect(sorted(ids)).toEqual(sorted(expected));
    if (oracle) {
      const request = parseSearchRequest(url);
      const inMemory = resources.filter((r) => matchesSearchRequest(r, request)).map((r) => r.id as string);
      expect(sorted(ids)).toEqual(sorted(inMemory));
    }
  });

  it.each([
    ['Patient?gender:contains=male', 'Modifier :contains is not supported for token parameter gender'],
    ['Patient?gender:missing=maybe', ':missing on gender takes true or false'],
    ['Patient?gender:in=http://hl7.org/fhir/ValueSet/administrative-gender', 'Modifier :in is not supported'],
  ])('rejects %s', async (url, message) => {
    await expect(fixture.search(url)).rejects.toThrow(message);
  });
});
