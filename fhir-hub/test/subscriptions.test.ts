import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

interface OutboxRow {
  exchange: string;
  routing_key: string;
  envelope: string;
}

describe('subscriptions write deliveries to the outbox in the same transaction', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  async function outboxSince(seq: number): Promise<(OutboxRow & { body: any })[]> {
    const rows = await hub.db.sql<OutboxRow[]>`SELECT exchange, routing_key, envelope FROM outbox WHERE seq > ${seq} ORDER BY seq`;
    return rows.map((r) => ({ ...r, body: JSON.parse(r.envelope).body }));
  }
  async function lastSeq(): Promise<number> {
    const [row] = await hub.db.sql<{ seq: string | null }[]>`SELECT max(seq) AS seq FROM outbox`;
    return Number(row.seq ?? 0);
  }
  async function subscribe(criteria: string, extra: Record<string, unknown> = {}): Promise<any> {
    const res = await hub.request('POST', '/fhir/R4/Subscription', {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'test',
      criteria,
      channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/hook', payload: 'application/fhir+json' },
      ...extra,
    });
    expect(res.status).toBe(201);
    await hub.subscriptions.reload();
    return res.body;
  }

  test('a Subscription is activated at write time; bad criteria or channel are refused with the element named', async () => {
    const sub = await subscribe('ServiceRequest?status=active');
    expect(sub.status).toBe('active');
    const bad = await hub.request('POST', '/fhir/R4/Subscription', {
      resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Patient?birthdate=notadate',
      channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/hook' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression).toEqual(['Subscription.criteria']);
    const badChannel = await hub.request('POST', '/fhir/R4/Subscription', {
      resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Patient',
      channel: { type: 'email', endpoint: 'mailto:a@b.c' },
    });
    expect(badChannel.status).toBe(400);
  });

  test('every change is an event; a matching change is also a delivery with the full resource', async () => {
    await subscribe('Observation?code=http://loinc.org|8867-4');
    const before = await lastSeq();
    const matching = (await hub.request('POST', '/fhir/R4/Observation', {
      resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    })).body;
    await hub.request('POST', '/fhir/R4/Observation', {
      resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] },
    });
    const rows = await outboxSince(before);
    expect(rows.filter((r) => r.exchange === 'simpul.events').map((r) => r.routing_key)).toEqual(['Observation.create', 'Observation.create']);
    const deliveries = rows.filter((r) => r.exchange === 'simpul.deliveries');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].routing_key).toBe('rest-hook');
    expect(deliveries[0].body.resource.id).toBe(matching.id);
    expect(deliveries[0].body.interaction).toBe('create');
  });

  test('deletes are delivered only to subscriptions that ask for them', async () => {
    await subscribe('Patient?family=Hapus', {
      extension: [
        { url: 'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction', valueCode: 'delete' },
      ],
    });
    await subscribe('Patient?family=Hapus');
    const p = (await hub.request('POST', '/fhir/R4/Patient', patient({ name: [{ family: 'Hapus' }] }))).body;
    const before = await lastSeq();
    await hub.request('DELETE', `/fhir/R4/Patient/${p.id}`);
    const rows = await outboxSince(before);
    expect(rows.filter((r) => r.exchange === 'simpul.events').map((r) => r.routing_key)).toEqual(['Patient.delete']);
    const deliveries = rows.filter((r) => r.exchange === 'simpul.deliveries');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].body.interaction).toBe('delete');
  });

  test('a transaction that fails leaves no outbox rows', async () => {
    await subscribe('Patient');
    const before = await lastSeq();
    const res = await hub.request('POST', '/fhir/R4', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({ gender: 'bad' }), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(res.status).toBe(400);
    expect(await outboxSince(before)).toEqual([]);
  });

  test('the envelope carries the request trace id and a unique id', async () => {
    const before = await lastSeq();
    await hub.request('POST', '/fhir/R4/Patient', patient(), { 'x-trace-id': 'trace-outbox-000001' });
    const rows = await hub.db.sql<{ envelope: string }[]>`SELECT envelope FROM outbox WHERE seq > ${before}`;
    const envelopes = rows.map((r) => JSON.parse(r.envelope));
    expect(envelopes.length).toBeGreaterThan(0);
    for (const envelope of envelopes) expect(envelope.traceId).toBe('trace-outbox-000001');
    expect(new Set(envelopes.map((e) => e.id)).size).toBe(envelopes.length);
  });
});
