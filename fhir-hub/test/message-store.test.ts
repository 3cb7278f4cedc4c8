import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, type TestHub } from './support/test-hub.ts';

const ADT = 'MSH|^~\\&|SIMRS|RSUD|SIMPUL|HUB|20250101120000||ADT^A01|CTRL-1|P|2.5.1\rPID|1||MRN001^^^RSUD^MR||Santoso^Budi';

describe('message store admin API', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  const received = (overrides: Record<string, unknown> = {}) => ({
    kind: 'hl7',
    source: 'RSUD',
    messageType: 'ADT^A01',
    controlId: 'CTRL-1',
    contentType: 'x-application/hl7-v2+er7',
    raw: ADT,
    receivedAt: new Date().toISOString(),
    patientIds: ['http://rsud.example/mrn|MRN001'],
    ...overrides,
  });

  test('received is recorded once; a second report counts an attempt', async () => {
    const id = randomUUID();
    const first = await hub.request('PUT', `/admin/messages/${id}/received`, received(), { 'content-type': 'application/json' });
    expect(first.status).toBe(200);
    expect(first.body.firstSeen).toBe(true);
    expect(first.body.message.status).toBe('received');
    const again = await hub.request('PUT', `/admin/messages/${id}/received`, received());
    expect(again.body.firstSeen).toBe(false);
    expect(again.body.message.attempts).toBe(2);
  });

  test('outcome moves a message to stored with its resources, or to error with the reason', async () => {
    const ok = randomUUID();
    await hub.request('PUT', `/admin/messages/${ok}/received`, received({ controlId: 'OK-1' }));
    const stored = await hub.request('PUT', `/admin/messages/${ok}/outcome`, { status: 'stored', resources: ['Patient/1', 'Encounter/2'] });
    expect(stored.body.status).toBe('stored');
    expect(stored.body.resources).toEqual(['Patient/1', 'Encounter/2']);

    const bad = randomUUID();
    await hub.request('PUT', `/admin/messages/${bad}/received`, received({ controlId: 'BAD-1', source: 'LAB' }));
    const failed = await hub.request('PUT', `/admin/messages/${bad}/outcome`, { status: 'error', error: 'PID-7: "19801345" is not a valid HL7 date' });
    expect(failed.body.status).toBe('error');

    const errors = await hub.request('GET', '/admin/messages?status=error');
    expect(errors.body.messages.map((m: any) => m.id)).toEqual([bad]);
    const bySource = await hub.request('GET', '/admin/messages?source=LAB');
    expect(bySource.body.total).toBe(1);
    const byText = await hub.request('GET', '/admin/messages?text=Santoso');
    expect(byText.body.total).toBeGreaterThanOrEqual(2);
    const byPatient = await hub.request('GET', '/admin/messages?patient=MRN001');
    expect(byPatient.body.total).toBeGreaterThanOrEqual(2);
    const byOther = await hub.request('GET', '/admin/messages?patient=NOPE');
    expect(byOther.body.total).toBe(0);
    const missing = await hub.request('PUT', `/admin/messages/${randomUUID()}/outcome`, { status: 'stored' });
    expect(missing.status).toBe(404);
  });

  test('a repeated control id from the same sender inside the window is reported as a duplicate', async () => {
    const first = randomUUID();
    const second = randomUUID();
    await hub.request('PUT', `/admin/messages/${first}/received`, received({ source: 'DUP', controlId: 'SAME' }));
    const dup = await hub.request('PUT', `/admin/messages/${second}/received`, received({ source: 'DUP', controlId: 'SAME', duplicateWindowMs: 60_000 }));
    expect(dup.body.duplicateOf.id).toBe(first);
    const other = await hub.request('PUT', `/admin/messages/${randomUUID()}/received`, received({ source: 'OTHER', controlId: 'SAME', duplicateWindowMs: 60_000 }));
    expect(other.body.duplicateOf).toBeUndefined();
  });

  test('replay republishes through the outbox with the same envelope id and a replay header', async () => {
    const id = randomUUID();
    await hub.request('PUT', `/admin/messages/${id}/received`, received({ controlId: 'REPLAY-1' }));
    const res = await hub.request('POST', '/admin/messages/replay', { ids: [id] });
    expect(res.body.replayed).toBe(1);
    const rows = await hub.db.sql<{ exchange: string; routing_key: string; envelope: string }[]>`
      SELECT exchange, routing_key, envelope FROM outbox WHERE exchange = 'simpul.ingest'`;
    expect(rows).toHaveLength(1);
    expect(rows[0].routing_key).toBe('hl7.RSUD');
    const envelope = JSON.parse(rows[0].envelope);
    expect(envelope.id).toBe(id);
    expect(envelope.body).toBe(ADT);
    expect(envelope.headers.replay).toBe('true');
    const twice = await hub.request('POST', '/admin/messages/replay', { ids: [id] });
    expect(twice.body.replayed).toBe(1);
  });

  test('bad input is a 400 naming the field', async () => {
    const notUuid = await hub.request('PUT', '/admin/messages/not-a-uuid/received', received());
    expect(notUuid.status).toBe(400);
    const badStatus = await hub.request('GET', '/admin/messages?status=lost');
    expect(badStatus.status).toBe(400);
    expect(JSON.stringify(badStatus.body)).toContain('status');
    const unknownKey = await hub.request('PUT', `/admin/messages/${randomUUID()}/received`, received({ colour: 'blue' }));
    expect(unknownKey.status).toBe(400);
    const both = await hub.request('POST', '/admin/messages/replay', { ids: [randomUUID()], query: { status: 'error' } });
    expect(both.status).toBe(400);
  });
});
