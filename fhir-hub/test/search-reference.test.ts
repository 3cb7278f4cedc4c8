import { matchesSearchRequest, parseSearchRequest } from '@medplum/core';
import type { SearchRequest } from '@medplum/core';
import type { Observation, QuestionnaireResponse, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyReferenceTypeModifiers, searchBundle } from '../src/search/index.ts';
import { BASE_URL, createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const observation = (id: string, extra: Partial<Observation>): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: 'x' },
  ...extra,
});

const observations: Observation[] = [
  observation('r1', { subject: { reference: 'Patient/pa' }, performer: [{ reference: 'Practitioner/dr1' }] }),
  observation('r2', { subject: { reference: 'Patient/pb/_history/3' } }),
  observation('r3', { subject: { reference: 'Group/pa' } }),
  observation('r4', { subject: { reference: 'https://other.example/fhir/Patient/pa' } }),
  observation('r6', { subject: { type: 'Patient', identifier: { system: 'urn:nik', value: '123' } } }),
  observation('r7', {}),
  observation('r8', { subject: { reference: 'Patient/pa', identifier: { system: 'urn:nik', value: '456' } }, basedOn: [{ reference: 'urn:uuid:5b0c1c4e-3f6a-4c1e-9a39-0a3f0ad1c001' }] }),
];
const responses: QuestionnaireResponse[] = [
  { resourceType: 'QuestionnaireResponse', id: 'q1', status: 'completed', questionnaire: 'http://q.example/Questionnaire/intake|1.0' },
  { resourceType: 'QuestionnaireResponse', id: 'q2', status: 'completed', questionnaire: 'http://q.example/Questionnaire/intake|2.0' },
];
const resources: Resource[] = [...observations, ...responses];

const cases: { url: string; expected: string[]; oracle?: boolean }[] = [
  { url: 'Observation?subject=Patient/pa', expected: ['r1', 'r8'], oracle: true },
  { url: 'Observation?subject=Patient/pb', expected: ['r2'] },
  { url: 'Observation?subject=Patient/pa,Patient/pb', expected: ['r1', 'r2', 'r8'] },
  // a bare id: any type for a parameter with several targets (FHIR R4; core's matcher finds
  // nothing there), the only target type otherwise
  { url: 'Observation?subject=pa', expected: ['r1', 'r3', 'r8'] },
  { url: 'Observation?patient=pa', expected: ['r1', 'r8'], oracle: true },
  { url: 'Observation?patient=Patient/pa', expected: ['r1', 'r8'], oracle: true },
  { url: 'Observation?subject=Group/pa', expected: ['r3'], oracle: true },
  { url: 'Observation?performer=Practitioner/dr1', expected: ['r1'], oracle: true },
  { url: 'Observation?performer=dr1', expected: ['r1'] },
  // absolute URLs: a foreign server's stays a URL; this server's own is a local reference
  { url: 'Observation?subject=https://other.example/fhir/Patient/pa', expected: ['r4'], oracle: true },
  { url: `Observation?subject=${BASE_URL}fhir/R4/Patient/pa`, expected: ['r1', 'r8'] },
  { url: 'Observation?based-on=urn:uuid:5b0c1c4e-3f6a-4c1e-9a39-0a3f0ad1c001', expected: ['r8'] },
  { url: 'Observation?subject:identifier=urn:nik|123', expected: ['r6'] },
  { url: 'Observation?subject:identifier=urn:nik|', expected: ['r6', 'r8'] },
  { url: 'Observation?subject:identifier=123', expected: ['r6'] },
  { url: 'Observation?subject:missing=true', expected: ['r7'], oracle: true },
  { url: 'Observation?subject:missing=false', expected: ['r1', 'r2', 'r3', 'r4', 'r6', 'r8'], oracle: true },
  { url: 'Observation?subject:not=Patient/pa', expected: ['r2', 'r3', 'r4', 'r6', 'r7'] },
  { url: 'Observation?subject=Patient/pa&performer=Practitioner/dr1', expected: ['r1'] },
  { url: 'Observation?subject=Patient/nobody', expected: [] },
  { url: 'QuestionnaireResponse?questionnaire=http://q.example/Questionnaire/intake|1.0', expected: ['q1'] },
];

describe('reference search', () => {
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
      expect(sorted(ids)).toEqual(sorted(resources.filter((r) => matchesSearchRequest(r, request)).map((r) => r.id as string)));
    }
  });

  it.each([
    ['subject:Patient', 'pa', ['r1', 'r8']],
    ['subject:Group', 'pa', ['r3']],
    ['subject:Patient', 'pa,pb', ['r1', 'r2', 'r8']],
    ['subject:Patient', 'Patient/pb', ['r2']],
  ])('type modifier %s=%s', async (key, value, expected) => {
    // through the raw-query rewrite the HTTP layer applies before core's parser ...
    const request = parseSearchRequest('Observation', applyReferenceTypeModifiers({ [key]: value }));
    const viaRewrite = await searchBundle(fixture.db.sql, request, { baseUrl: BASE_URL });
    expect(sorted(viaRewrite.entry?.map((e) => e.resource?.id as string) ?? [])).toEqual(expected);
    // ... and as a filter whose operator is the type, as core leaves it for unknown modifiers
    const [code, type] = key.split(':');
    const direct: SearchRequest = { resourceType: 'Observation', filters: [{ code, operator: type as never, value }] };
    const viaOperator = await searchBundle(fixture.db.sql, direct, { baseUrl: BASE_URL });
    expect(sorted(viaOperator.entry?.map((e) => e.resource?.id as string) ?? [])).toEqual(expected);
  });

  it('rejects a type modifier that contradicts the value', async () => {
    const request: SearchRequest = { resourceType: 'Observation', filters: [{ code: 'subject', operator: 'Group' as never, value: 'Patient/pa' }] };
    await expect(searchBundle(fixture.db.sql, request, { baseUrl: BASE_URL })).rejects.toThrow('a reference to Group');
  });

  it('keeps other query keys when rewriting type modifiers', () => {
    expect(applyReferenceTypeModifiers({ 'subject:Patient': ['1', '2,Patient/3'], subject: 'Group/9', 'code:text': 'x' })).toEqual({
      subject: ['Patient/1', 'Patient/2,Patient/3', 'Group/9'],
      'code:text': 'x',
    });
  });
});
