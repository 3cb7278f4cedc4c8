import { createHmac } from 'node:crypto';
import type { Patient, Subscription } from '@medplum/fhirtypes';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { deadLetterRoutes, PAYLOAD_CONTENT_EXTENSION_URL, type BotRuntime } from '../src/index.ts';
import { auditsOf, eventually, startRuntime } from './support/runtime-fixture.ts';
import { startTestHub, type BotsTestHub } from './support/test-hub.ts';
import { WebhookReceiver, type ReceivedRequest } from './support/webhook-receiver.ts';

const SECRET_URL = 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret';
const INTERACTION_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction';

describe('rest-hook Subscriptions on a real hub and RabbitMQ', () => {
  let vhost: TestVhost;
  let hub: BotsTestHub;
  let runtime: BotRuntime;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    vhost = await createTestVhost('simpul_bots_resthook');
    hub = await startTestHub({ relay: true, busUrl: vhost.url });
    receiver = await WebhookReceiver.start();
    runtime = await startRuntime(hub, vhost.url, {
      restHook: { timeoutMs: 800, maxAttempts: 3, retryDelaysMs: [300, 600], subscriptionCacheMs: 0, maxRetryAfterWaitMs: 2000 },
    });
  });

  beforeEach(() => {
    receiver.answer((request) => {
      if (request.path.startsWith('/fail')) return { status: 500, body: 'database on fire' };
      if (request.path.startsWith('/missing')) return { status: 404, body: 'no such hook' };
      return { status: 200 };
    });
  });

  afterAll(async () => {
    await runtime?.close();
    await receiver?.close();
    await hub?.close();
    await vhost?.remove();
  });

  async function subscribe(family: string, path: string, extra: Partial<Subscription> = {}, channel: Partial<NonNullable<Subscription['channel']>> = {}): Promise<Subscription> {
    const subscription = await hub.medplum.createResource<Subscription>({
      resourceType: 'Subscription',
      status: 'active',
      reason: 'rest-hook test',
      criteria: `Patient?family=${family}`,
      channel: { type: 'rest-hook', endpoint: receiver.url(path), payload: 'application/fhir+json', ...channel },
      ...extra,
    });
    await hub.subscriptionsLive([subscription.id as string]);
    return subscription;
  }

  async function createPatient(family: string): Promise<Patient & { id: string }> {
    return (await hub.medplum.createResource<Patient>({ resourceType: 'Patient', name: [{ family }] })) as Patient & { id: string };
  }

  const on = (path: string) => (request: ReceivedRequest) => request.path === path;

  test('POSTs the resource with the configured headers, an idempotency key and an HMAC signature; audits it', async () => {
    await subscribe('Hook', '/full?token=t0ps3cret', { extension: [{ url: SECRET_URL, valueString: 'shared-secret' }] }, { header: ['Authorization: Bearer abc', 'X-Tenant: rs-1'] });
    const patient = await createPatient('Hook');
    const [request] = await receiver.waitFor(1, on('/full?token=t0ps3cret'));
    expect(request.method).toBe('POST');
    expect(JSON.parse(request.body)).toMatchObject({ resourceType: 'Patient', id: patient.id, name: [{ family: 'Hook' }] });
    expect(request.headers['content-type']).toBe('application/fhir+json');
    expect(request.headers.authorization).toBe('Bearer abc');
    expect(request.headers['x-tenant']).toBe('rs-1');
    expect(request.headers['x-signature']).toBe(createHmac('sha256', 'shared-secret').update(request.body).digest('hex'));
    const key = request.headers['idempotency-key'] as string;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const [audit] = await eventually('the AuditEvent', async () => {
      const found = await auditsOf(hub, `Patient/${patient.id}`, key);
      return found.length > 0 ? found : undefined;
    });
    expect(audit).toMatchObject({ outcome: '0', type: { code: '110106' }, outcomeDesc: 'HTTP 200' });
    expect(audit.agent?.[0].network?.address).toBe(receiver.url('/full'));
  });

  test('payload modes: empty without channel.payload, id-only by the backport extension; deletes are announced', async () => {
    await subscribe('Modes', '/empty', {}, { payload: undefined });
    await subscribe('Modes', '/id-only', {}, { extension: [{ url: PAYLOAD_CONTENT_EXTENSION_URL, valueCode: 'id-only' }] });
    await subscribe('Modes', '/deletes', { extension: [{ url: INTERACTION_URL, valueCode: 'delete' }] });
    const patient = await createPatient('Modes');
    const [empty] = await receiver.waitFor(1, on('/empty'));
    expect(empty.body).toBe('');
    const [idOnly] = await receiver.waitFor(1, on('/id-only'));
    expect(JSON.parse(idOnly.body)).toEqual({ resourceType: 'Patient', id: patient.id, meta: { versionId: patient.meta?.versionId, lastUpdated: patient.meta?.lastUpdated } });
    await hub.medplum.deleteResource('Patient', patient.id);
    const [deleted] = await receiver.waitFor(1, on('/deletes'));
    expect(deleted.headers['x-medplum-deleted-resource']).toBe(`Patient/${patient.id}`);
    expect(deleted.headers['x-simpul-event']).toBe('delete');
  });

  test('a failing endpoint is retried on schedule, then the Subscription goes to error; after it heals, replay delivers', async () => {
    const subscription = await subscribe('Failing', '/fail');
    const patient = await createPatient('Failing');
    const attempts = await receiver.waitFor(3, on('/fail'));
    const key = attempts[0].headers['idempotency-key'];
    expect(attempts.map((a) => a.headers['idempotency-key'])).toEqual([key, key, key]);
    // 300 ms then 600 ms between attempts (jitter only adds).
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(290);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(590);

    const errored = await eventually('Subscription in error', async () => {
      const current = await hub.medplum.readResource('Subscription', subscription.id as string);
      return current.status === 'error' ? current : undefined;
    });
    expect(errored.error).toContain('HTTP 500');
    expect(errored.error).toContain('database on fire');
    const letter = await eventually('the dead letter', async () => (await runtime.bus.listDead('bot.rest-hook')).find((l) => l.id === key));
    expect(letter).toMatchObject({ reason: 'exhausted', attempts: 3 });
    const audits = await eventually('three AuditEvents', async () => {
      const found = await auditsOf(hub, `Patient/${patient.id}`, key as string);
      return found.length >= 3 ? found : undefined;
    });
    expect(audits.map((a) => a.outcome)).toEqual(['4', '4', '8']);

    // The endpoint heals; the operator replays through the admin API.
    receiver.answer(() => ({ status: 204 }));
    const admin = Fastify();
    await admin.register(deadLetterRoutes, { bus: runtime.bus });
    const replay = await admin.inject({ method: 'POST', url: '/admin/dead-letters/bot.rest-hook.dead/replay', payload: { ids: [key] } });
    expect(replay.json()).toEqual({ queue: 'bot.rest-hook.dead', replayed: 1 });
    await admin.close();
    const all = await receiver.waitFor(4, on('/fail'));
    expect(all[3].headers['idempotency-key']).toBe(key);
    await eventually('Subscription active again', async () => {
      const current = await hub.medplum.readResource('Subscription', subscription.id as string);
      return current.status === 'active' && current.error === undefined ? true : undefined;
    });
  });

  test('a 4xx refusal is not retried: dead-lettered at once, Subscription in error', async () => {
    const subscription = await subscribe('Refused', '/missing');
    await createPatient('Refused');
    const [request] = await receiver.waitFor(1, on('/missing'));
    const letter = await eventually('the dead letter', async () =>
      (await runtime.bus.listDead('bot.rest-hook')).find((l) => l.id === request.headers['idempotency-key']),
    );
    expect(letter).toMatchObject({ reason: 'permanent', attempts: 1 });
    expect(letter.lastError).toContain('SIMPUL-BOTS-202');
    expect(receiver.requests.filter(on('/missing'))).toHaveLength(1);
    const current = await hub.medplum.readResource('Subscription', subscription.id as string);
    expect(current.status).toBe('error');
  });

  test('a short Retry-After is honoured within the attempt; a slow endpoint times out and is retried', async () => {
    let first = true;
    receiver.answer((request) => {
      if (request.path === '/busy' && first) {
        first = false;
        return { status: 429, headers: { 'retry-after': '1' } };
      }
      if (request.path === '/slow') return new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 1500));
      return { status: 200 };
    });
    await subscribe('Busy', '/busy');
    await subscribe('Slow', '/slow');
    const busy = await createPatient('Busy');
    const slow = await createPatient('Slow');
    const [refused, accepted] = await receiver.waitFor(2, on('/busy'));
    expect(accepted.at - refused.at).toBeGreaterThanOrEqual(990);
    const key = accepted.headers['idempotency-key'] as string;
    const [audit] = await eventually('the AuditEvent', async () => {
      const found = await auditsOf(hub, `Patient/${busy.id}`, key);
      return found.length > 0 ? found : undefined;
    });
    expect(audit).toMatchObject({ outcome: '0' });
    expect(audit.outcomeDesc).toMatch(/after waiting 1000 ms/);

    const slowAttempts = await receiver.waitFor(2, on('/slow'));
    const slowAudits = await eventually('the timed-out attempt', async () => {
      const found = await auditsOf(hub, `Patient/${slow.id}`, slowAttempts[0].headers['idempotency-key'] as string);
      return found.length > 0 ? found : undefined;
    });
    expect(slowAudits[0].outcomeDesc).toContain('no answer within 800 ms');
  });

  test('a Subscription with a malformed header line is unusable: dead-lettered, Subscription in error', async () => {
    const subscription = await subscribe('BadHeader', '/never', {}, { header: ['X-Ok: 1', 'this is not a header'] });
    await createPatient('BadHeader');
    const errored = await eventually('Subscription in error', async () => {
      const current = await hub.medplum.readResource('Subscription', subscription.id as string);
      return current.status === 'error' ? current : undefined;
    });
    expect(errored.error).toContain('channel.header[1]');
    expect(receiver.requests.filter(on('/never'))).toHaveLength(0);
  });
});
