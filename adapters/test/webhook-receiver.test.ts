import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Bus, declareTopology, webhookConfigSchema, type Subscription } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createV2TableTranslator } from '../src/ingest/hl7/index.ts';
import { createHubClient, createIngestHandler } from '../src/ingest/worker/index.ts';
import type { TemplateSources } from '../src/ingest/worker/ingest-template.ts';
import { loadTemplateSources } from '../src/mapping/index.ts';
import { hubTokenVerifier, startWebhookServer, type WebhookServer } from '../src/webhook/index.ts';
import { BackgroundIngestBus } from '../src/edge/background-ingest-bus.ts';
import { startHubProcess, type HubProcess } from './support/hub-process.ts';

const run = promisify(execFile);

const logger = pino({ level: 'silent' });
const SECRET = 'webhook-secret-0123456789';
const MRN_SYSTEM = 'http://sys-ids.kemkes.go.id/mrn/10000004';
const WAIT = { timeout: 60_000, interval: 100 };

const config = webhookConfigSchema.parse({
  sources: [
    {
      name: 'lab',
      secret: SECRET,
      maxBodyBytes: 2048,
      requiredFields: ['patient.mrn'],
      schema: { type: 'object', properties: { patient: { type: 'object', properties: { mrn: { type: 'string' }, name: { type: 'string' } }, required: ['mrn'] } }, required: ['patient'] },
      mapping: { patientKey: '=patient.mrn', resources: [{ identifier: { system: MRN_SYSTEM, value: '=patient.mrn' }, resource: { resourceType: 'Patient', name: [{ text: '=patient.name' }] } }] },
    },
    {
      name: 'partner',
      oauthClientIds: ['set-in-beforeAll'],
      mapping: { resources: [{ identifier: { system: MRN_SYSTEM, value: '=patient.mrn' }, resource: { resourceType: 'Patient', name: [{ text: '=patient.name' }] } }] },
    },
    {
      name: 'ris-xml',
      secret: SECRET,
      contentType: 'xml',
      requiredFields: ['order.mrn'],
      mapping: { resources: [{ identifier: { system: MRN_SYSTEM, value: '=order.mrn' }, resource: { resourceType: 'Patient', name: [{ text: '=order.name' }] } }] },
    },
  ],
});

let hub: HubProcess;
let partnerClient: { client_id: string; client_secret: string };

/** A partner's OAuth client, registered the way an operator does it (`simpul client create`). */
async function createPartnerClient(databaseUrl: string): Promise<{ client_id: string; client_secret: string }> {
  const root = new URL('../../', import.meta.url).pathname;
  const { stdout } = await run(process.execPath, ['bin/simpul.ts', 'client', 'create', '--name', 'Partner app', '--scope', 'system/Patient.cru'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, SIMPUL_CONFIG: '', SIMPUL_LOG_LEVEL: 'warn' },
  });
  return JSON.parse(stdout.slice(stdout.indexOf('{'))) as { client_id: string; client_secret: string };
}
let vhost: TestVhost;
let bus: Bus;
let edgeBus: BackgroundIngestBus;
let consumer: Subscription;
let server: WebhookServer;
let base: string;

beforeAll(async () => {
  hub = await startHubProcess();
  vhost = await createTestVhost('simpul_webhook');
  bus = await Bus.connect(vhost.url);
  await declareTopology(bus, { bots: [] });
  const templates: TemplateSources = loadTemplateSources({ sql: { sources: [] }, webhook: config });
  const client = await createHubClient({ baseUrl: hub.url, clientId: hub.adminClientId, clientSecret: hub.adminClientSecret });
  const handler = createIngestHandler({ hub: client, logger, hl7Sources: {}, translator: createV2TableTranslator(), maxAttempts: 3, duplicateWindowMs: 1000, templates });
  consumer = await bus.consume('ingest', async (envelope) => void (await handler.handle(envelope)), { prefetch: 4 });
  edgeBus = new BackgroundIngestBus(vhost.url, logger, { connectionName: 'webhook-test', whileDown: '503' });
  for (let waited = 0; !edgeBus.ready; waited += 100) {
    if (waited > 20_000) throw new Error('the webhook edge did not connect to the bus within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  partnerClient = await createPartnerClient(hub.databaseUrl);
  const sources = config.sources.map((source) => (source.name === 'partner' ? { ...source, oauthClientIds: [partnerClient.client_id] } : source));
  server = await startWebhookServer({ sources, publisher: edgeBus, logger, host: '127.0.0.1', port: 0, verifyHubToken: hubTokenVerifier(hub.url) });
  base = `http://127.0.0.1:${server.port}`;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await edgeBus?.close();
  await consumer?.close();
  await bus?.close();
  await vhost?.remove();
  await hub?.stop();
});

function post(source: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/ingest/${source}`, { method: 'POST', body, headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json', ...headers } });
}

async function messageRow(id: string) {
  const [row] = await hub.sql<{ status: string; kind: string; raw: string; error: string | null }[]>`SELECT status, kind, raw, error FROM message WHERE id = ${id}`;
  return row;
}

async function patientsWith(mrn: string): Promise<number> {
  const [row] = await hub.sql<{ n: string }[]>`SELECT count(*) AS n FROM resource WHERE resource_type = 'Patient' AND NOT deleted AND content LIKE ${`%"${mrn}"%`}`;
  return Number(row.n);
}

describe('webhook receiver', () => {
  test('an accepted JSON body gets 202 with its message id, lands in the message store and becomes FHIR', async () => {
    const response = await post('lab', JSON.stringify({ patient: { mrn: 'WH-1', name: 'Siti' } }));
    expect(response.status).toBe(202);
    const { messageId } = (await response.json()) as { messageId: string };
    await expect.poll(async () => (await messageRow(messageId))?.status, WAIT).toBe('stored');
    expect((await messageRow(messageId)).kind).toBe('webhook');
    expect(JSON.parse((await messageRow(messageId)).raw)).toEqual({ patient: { mrn: 'WH-1', name: 'Siti' } });
    expect(await patientsWith('WH-1')).toBe(1);
  }, 90_000);

  test('a duplicate post with the same Idempotency-Key gets the same id and is stored once', async () => {
    const body = JSON.stringify({ patient: { mrn: 'WH-2', name: 'Dewi' } });
    const first = (await (await post('lab', body, { 'idempotency-key': 'lab-order-778' })).json()) as { messageId: string };
    const second = (await (await post('lab', body, { 'idempotency-key': 'lab-order-778' })).json()) as { messageId: string };
    expect(second.messageId).toBe(first.messageId);
    await expect.poll(async () => (await messageRow(first.messageId))?.status, WAIT).toBe('stored');
    const [count] = await hub.sql<{ n: string }[]>`SELECT count(*) AS n FROM message WHERE kind = 'webhook' AND control_id = 'lab-order-778'`;
    expect(Number(count.n)).toBe(1);
    expect(await patientsWith('WH-2')).toBe(1);
  }, 90_000);

  test('a wrong or missing secret gets 401 and stores nothing', async () => {
    expect((await post('lab', JSON.stringify({ patient: { mrn: 'WH-3' } }), { authorization: 'Bearer wrong-secret-0123456789' })).status).toBe(401);
    const none = await fetch(`${base}/ingest/lab`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await patientsWith('WH-3')).toBe(0);
  });

  test('a source for OAuth2 clients takes a hub token of a listed client, and nothing else', async () => {
    const token = async (clientId: string, clientSecret: string): Promise<string> => {
      const res = await fetch(`${hub.url}oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const body = JSON.stringify({ patient: { mrn: 'WH-OAUTH', name: 'Rina' } });
    const listed = await post('partner', body, { authorization: `Bearer ${await token(partnerClient.client_id, partnerClient.client_secret)}` });
    expect(listed.status).toBe(202);
    const other = await post('partner', body, { authorization: `Bearer ${await token(hub.adminClientId, hub.adminClientSecret)}` });
    expect(other.status).toBe(401);
    const forged = await post('partner', body, { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJwYXJ0bmVyLWFwcCJ9.' });
    expect(forged.status).toBe(401);
    const { messageId } = (await listed.json()) as { messageId: string };
    await expect.poll(async () => (await messageRow(messageId))?.status, WAIT).toBe('stored');
  }, 90_000);

  test('a body failing the required fields or the schema gets 400 with the reason', async () => {
    const missing = await post('lab', JSON.stringify({ patient: { name: 'Tanpa MRN' } }));
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toContain('patient.mrn');
    const wrongType = await post('lab', JSON.stringify({ patient: { mrn: 12345 } }));
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(await wrongType.json())).toContain('patient.mrn');
    const notJson = await post('lab', '{"patient":');
    expect(notJson.status).toBe(400);
    expect(JSON.stringify(await notJson.json())).toContain('not JSON');
  });

  test('an oversized body gets 413; a wrong content type 415; an unknown source 404', async () => {
    const big = JSON.stringify({ patient: { mrn: 'WH-4', name: 'x'.repeat(5000) } });
    expect((await post('lab', big)).status).toBe(413);
    expect((await post('lab', '<a/>', { 'content-type': 'application/xml' })).status).toBe(415);
    expect((await post('nobody', '{}')).status).toBe(404);
    expect(await patientsWith('WH-4')).toBe(0);
  });

  test('an XML body is accepted and mapped; XML with a DOCTYPE or entity is refused', async () => {
    const xml = '<?xml version="1.0"?><order><mrn>WH-5</mrn><name>Rina &amp; Co</name></order>';
    const response = await post('ris-xml', xml, { 'content-type': 'application/xml' });
    expect(response.status).toBe(202);
    const { messageId } = (await response.json()) as { messageId: string };
    await expect.poll(async () => (await messageRow(messageId))?.status, WAIT).toBe('stored');
    expect((await messageRow(messageId)).raw).toBe(xml);
    const [patient] = await hub.sql<{ content: string }[]>`SELECT content FROM resource WHERE resource_type = 'Patient' AND content LIKE '%"WH-5"%'`;
    expect(JSON.parse(patient.content).name).toEqual([{ text: 'Rina & Co' }]);

    const bomb = '<?xml version="1.0"?><!DOCTYPE order [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><order><mrn>WH-6</mrn><name>&b;</name></order>';
    const refused = await post('ris-xml', bomb, { 'content-type': 'application/xml' });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('DOCTYPE');
    expect(await patientsWith('WH-6')).toBe(0);
  }, 90_000);

  test('while the bus cannot confirm, the answer is 503 and nothing is acknowledged', async () => {
    const downBus = new BackgroundIngestBus('amqp://guest:guest@127.0.0.1:1/none', logger, { connectionName: 'down', whileDown: '503' });
    const downServer = await startWebhookServer({ sources: config.sources, publisher: downBus, logger, host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(`http://127.0.0.1:${downServer.port}/ingest/lab`, { method: 'POST', body: JSON.stringify({ patient: { mrn: 'WH-7' } }), headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
    } finally {
      await downServer.close();
      await downBus.close();
    }
  });
});
