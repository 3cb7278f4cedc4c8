import { randomUUID } from 'node:crypto';
import { Bus, EXCHANGES, newEnvelope, type Envelope } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FIXTURE_SOURCE, MRN, readFixture } from '../src/ingest/hl7/fixtures/fixture-context.ts';
import { createV2TableTranslator } from '../src/ingest/hl7/index.ts';
import { createHubClient, createIngestHandler, startIngestWorker, type HubClient } from '../src/ingest/worker/index.ts';
import { startHubProcess, type HubProcess } from './support/hub-process.ts';

const logger = pino({ level: 'silent' });

function hl7Envelope(raw: string, overrides: Partial<Envelope<string>> = {}): Envelope<string> {
  return { ...newEnvelope({ kind: 'hl7', source: 'rsudss', contentType: 'x-application/hl7-v2+er7', body: raw }), ...overrides };
}

/** A fixture with its control id and patient name replaced, so each test has its own message. */
function adt(controlId: string, family = 'Santoso', mrn = 'RM-778899'): string {
  const [msh, ...rest] = readFixture('adt-a01-v2.5.1.hl7').split(/\r\n|\r|\n/);
  const fields = msh.split('|');
  fields[9] = controlId;
  return [fields.join('|'), ...rest].join('\r').replaceAll('RM00123456', mrn).replace('Santoso^Budi', `${family}^Budi`);
}

describe('ingest worker against a real hub', () => {
  let hub: HubProcess;
  let client: HubClient;
  let handler: ReturnType<typeof createIngestHandler>;

  beforeAll(async () => {
    hub = await startHubProcess();
    client = await createHubClient({ baseUrl: hub.url, clientId: hub.adminClientId, clientSecret: hub.adminClientSecret });
    handler = createIngestHandler({
      hub: client,
      logger,
      hl7Sources: { rsudss: FIXTURE_SOURCE },
      translator: createV2TableTranslator(),
      maxAttempts: 3,
      duplicateWindowMs: 60_000,
    });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  async function messageRow(id: string) {
    const [row] = await hub.sql<{ status: string; error: string | null; resources: string[]; attempts: number }[]>`
      SELECT status, error, resources, attempts FROM message WHERE id = ${id}`;
    return row;
  }
  async function patientsWithMrn(value: string): Promise<number> {
    const [row] = await hub.sql<{ n: string }[]>`
      SELECT count(*) AS n FROM resource WHERE resource_type = 'Patient' AND NOT deleted AND content LIKE ${`%${value}%`}`;
    return Number(row.n);
  }

  test('an ADT^A01 becomes a Patient and an Encounter, recorded as stored with what it produced', async () => {
    const envelope = hl7Envelope(adt('CTRL-A1', 'Santoso', 'RM-0001'));
    const result = await handler.handle(envelope);
    expect(result.status).toBe('stored');
    const row = await messageRow(envelope.id);
    expect(row.status).toBe('stored');
    expect(row.resources.some((r) => r.startsWith('Patient/'))).toBe(true);
    expect(row.resources.some((r) => r.startsWith('Encounter/'))).toBe(true);
    expect(await patientsWithMrn('RM-0001')).toBe(1);
  });

  test('the same envelope twice is skipped; a replay re-applies it and still makes one Patient', async () => {
    const envelope = hl7Envelope(adt('CTRL-A2', 'Wijaya', 'RM-0002'));
    expect((await handler.handle(envelope)).status).toBe('stored');
    expect((await handler.handle(envelope)).status).toBe('already-stored');
    const replay = await handler.handle({ ...envelope, headers: { replay: 'true' } });
    expect(replay.status).toBe('stored');
    expect(await patientsWithMrn('RM-0002')).toBe(1);
  });

  test('a resent control id from the same sender is acknowledged but not applied again', async () => {
    const raw = adt('CTRL-A3', 'Lestari', 'RM-0003');
    expect((await handler.handle(hl7Envelope(raw))).status).toBe('stored');
    const resent = hl7Envelope(raw);
    expect((await handler.handle(resent)).status).toBe('duplicate');
    expect((await messageRow(resent.id)).status).toBe('stored');
  });

  test('a message that cannot be mapped is recorded as error with the field named, and nothing is written', async () => {
    const noPid = adt('CTRL-A4', 'Tanpa', 'RM-0004').split('\r').filter((s) => !s.startsWith('PID')).join('\r');
    const envelope = hl7Envelope(noPid);
    const result = await handler.handle(envelope);
    expect(result.status).toBe('rejected');
    const row = await messageRow(envelope.id);
    expect(row.status).toBe('error');
    expect(row.error).toMatch(/PID/);
    expect(await patientsWithMrn('RM-0004')).toBe(0);
    const unknownSource = await handler.handle(hl7Envelope(adt('CTRL-A5'), { source: 'nobody' }));
    expect(unknownSource.status).toBe('rejected');
  });

  test('messages of one patient are applied in arrival order even when handled concurrently', async () => {
    const names = Array.from({ length: 15 }, (_, i) => `Urutan${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((name, i) => handler.handle(hl7Envelope(adt(`CTRL-ORD-${i}`, name, 'RM-0005')))));
    const patients = await client.searchPatients(`identifier=${encodeURIComponent(`${MRN}|RM-0005`)}`);
    expect(patients).toHaveLength(1);
    expect(patients[0].name?.[0]?.family).toBe(names.at(-1));
  });

  test('identifiers added by others (the IHS number) survive a later ADT update', async () => {
    await handler.handle(hl7Envelope(adt('CTRL-A6', 'Kurnia', 'RM-0006')));
    const [patient] = await client.searchPatients(`identifier=${encodeURIComponent(`${MRN}|RM-0006`)}`);
    const ihs = { system: 'https://fhir.kemkes.go.id/id/ihs-number', value: 'P02478375538' };
    const res = await fetch(`${hub.url}fhir/R4/Patient/${patient.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', ...(await authHeader()) },
      body: JSON.stringify({ ...patient, identifier: [...(patient.identifier ?? []), ihs] }),
    });
    expect(res.status).toBe(200);
    await handler.handle(hl7Envelope(adt('CTRL-A7', 'Kurnia Baru', 'RM-0006')));
    const [after] = await client.searchPatients(`identifier=${encodeURIComponent(`${MRN}|RM-0006`)}`);
    expect(after.name?.[0]?.family).toBe('Kurnia Baru');
    expect(after.identifier).toEqual(expect.arrayContaining([ihs]));
  });

  async function authHeader(): Promise<Record<string, string>> {
    const res = await fetch(`${hub.url}oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: hub.adminClientId, client_secret: hub.adminClientSecret }),
    });
    if (!res.ok) return {};
    return { authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}` };
  }

  describe('through RabbitMQ', () => {
    let vhost: TestVhost;
    let bus: Bus;
    beforeAll(async () => {
      vhost = await createTestVhost('simpul_ingest');
      bus = await Bus.connect(vhost.url, { logger });
    });
    afterAll(async () => {
      await bus?.close();
      await vhost?.remove();
    });

    test('a message published to simpul.ingest is consumed and stored', async () => {
      const worker = await startIngestWorker({
        bus,
        hub: client,
        logger,
        hl7Sources: { rsudss: FIXTURE_SOURCE },
        translator: createV2TableTranslator(),
        prefetch: 8,
        maxAttempts: 3,
        duplicateWindowMs: 60_000,
        retryDelaysMs: [100, 200],
      });
      const envelope = hl7Envelope(adt(`CTRL-BUS-${randomUUID().slice(0, 8)}`, 'Bus', 'RM-0008'));
      await bus.publish(EXCHANGES.ingest, 'hl7.rsudss', envelope);
      for (let i = 0; i < 100 && (await messageRow(envelope.id))?.status !== 'stored'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await messageRow(envelope.id)).status).toBe('stored');
      expect(await patientsWithMrn('RM-0008')).toBe(1);
      await worker.close();
    });
  });
});
