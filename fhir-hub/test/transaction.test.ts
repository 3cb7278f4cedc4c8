import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

describe('batch and transaction', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  async function countRows(): Promise<number> {
    const [{ n }] = await hub.db.sql<{ n: string }[]>`SELECT count(*) AS n FROM resource`;
    return Number(n);
  }

  test('a transaction resolves urn:uuid references between its entries', async () => {
    const res = await hub.request('POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:7d3c7a86-0b16-4c1e-9c3f-9d6f7e8a1b2c', resource: patient(), request: { method: 'POST', url: 'Patient' } },
        {
          fullUrl: 'urn:uuid:1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
            subject: { reference: 'urn:uuid:7d3c7a86-0b16-4c1e-9c3f-9d6f7e8a1b2c' },
            valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201', '201']);
    const patientId = res.body.entry[0].resource.id;
    const observation = res.body.entry[1].resource;
    expect(observation.subject.reference).toBe(`Patient/${patientId}`);
    const stored = (await hub.request('GET', `/fhir/R4/Observation/${observation.id}`)).body;
    expect(stored.subject.reference).toBe(`Patient/${patientId}`);
  });

  test('a transaction that fails half-way leaves nothing behind', async () => {
    const before = await countRows();
    const res = await hub.request('POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: patient({ name: [{ family: 'Pertama' }] }), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({ name: [{ family: 'Kedua' }] }), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({ gender: 'not-a-gender' }), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(await countRows()).toBe(before);
    const [{ n }] = await hub.db.sql<{ n: string }[]>`SELECT count(*) AS n FROM resource_history WHERE content LIKE '%Pertama%'`;
    expect(Number(n)).toBe(0);
  });

  test('a batch keeps going past a failed entry and reports each outcome', async () => {
    const res = await hub.request('POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({ gender: 'bogus' }), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/does-not-exist' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    const statuses = res.body.entry.map((e: any) => e.response.status);
    expect(statuses[0]).toBe('201');
    expect(statuses[1]).toBe('400');
    expect(statuses[2]).toBe('404');
  });

  test('a transaction with many conditional writes runs whole (no 8-entry limit) and a replay changes nothing', async () => {
    const system = 'http://rs.example/mrn';
    const bundle = () => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: Array.from({ length: 15 }, (_, i) => ({
        resource: patient({ identifier: [{ system, value: `BULK-${i}` }] }),
        request: { method: 'PUT', url: `Patient?identifier=${encodeURIComponent(`${system}|BULK-${i}`)}` },
      })),
    });
    const first = await hub.request('POST', '/fhir/R4', bundle());
    expect(first.status).toBe(200);
    expect(first.body.entry.map((e: any) => e.response.status)).toEqual(Array(15).fill('201'));
    const before = await countRows();
    const replay = await hub.request('POST', '/fhir/R4', bundle());
    expect(replay.status).toBe(200);
    expect(replay.body.entry.map((e: any) => e.response.status)).toEqual(Array(15).fill('200'));
    expect(await countRows()).toBe(before);
  });

  test('concurrent transactions creating the same conditional resource make it once', async () => {
    const system = 'http://rs.example/mrn';
    const tx = () => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:0b4f7f3c-1c8e-4d5e-9f00-111111111111',
          resource: patient({ identifier: [{ system, value: 'RACE-TX' }] }),
          request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${system}|RACE-TX` },
        },
        {
          resource: { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'urn:uuid:0b4f7f3c-1c8e-4d5e-9f00-111111111111' } },
          request: { method: 'POST', url: 'Encounter' },
        },
      ],
    });
    const results = await Promise.all(Array.from({ length: 8 }, () => hub.request('POST', '/fhir/R4', tx())));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const found = await hub.request('GET', `/fhir/R4/Patient?identifier=${encodeURIComponent(`${system}|RACE-TX`)}`);
    expect(found.body.entry).toHaveLength(1);
    const patientId = found.body.entry[0].resource.id;
    for (const r of results) expect(r.body.entry[1].resource.subject.reference).toBe(`Patient/${patientId}`);
  });
});

