import type { Bot, Patient, Practitioner, Subscription } from '@medplum/fhirtypes';
import { Bus, EXCHANGES, newEnvelope } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BOT_IDENTIFIER_SYSTEM, BOT_SUBSCRIPTION_TAG_SYSTEM, registerBots, type BotRuntime } from '../src/index.ts';
import { auditsOf, BEHAVIOUR_BOT, eventually, startRuntime } from './support/runtime-fixture.ts';
import { startTestHub, type BotsTestHub } from './support/test-hub.ts';

interface EventRow {
  bot: string;
  family: string;
  idempotency_key: string;
  attempt: number;
  at: Date;
  event: Record<string, any>;
}

describe('bot runtime on a real hub and RabbitMQ', () => {
  let vhost: TestVhost;
  let hub: BotsTestHub;
  let runtime: BotRuntime;

  beforeAll(async () => {
    vhost = await createTestVhost('simpul_bots_runtime');
    hub = await startTestHub({ relay: true, busUrl: vhost.url });
    await hub.sql`CREATE TABLE test_bot_events (id bigserial PRIMARY KEY, bot text, family text, idempotency_key text, attempt int, at timestamptz DEFAULT clock_timestamp(), event jsonb)`;
    const behaveClient = await hub.client('bot behave', 'system/Patient.rs');
    const secrets = { DATABASE_URL: hub.databaseUrl, GREETING: 'selamat pagi' };
    runtime = await startRuntime(hub, vhost.url, {
      list: [
        { name: 'behave', module: BEHAVIOUR_BOT, subscriptions: ['Patient'], ...behaveClient, secrets, timeoutMs: 1500, maxAttempts: 3, retryDelaysMs: [200, 400] },
        { name: 'steady', module: BEHAVIOUR_BOT, subscriptions: ['Observation'], secrets, maxAttempts: 2, retryDelaysMs: [200] },
        // One attempt only: its failures go straight to the dead-letter queue.
        { name: 'fragile', module: BEHAVIOUR_BOT, subscriptions: ['Practitioner'], secrets, maxAttempts: 1, retryDelaysMs: [200] },
        // No client of its own: unauthenticated, so its reads are refused.
        { name: 'anon', module: BEHAVIOUR_BOT, subscriptions: ['Patient?family=ReadBack'], secrets, maxAttempts: 1, retryDelaysMs: [200] },
      ],
      restHook: { enabled: false },
    });
  });

  afterAll(async () => {
    await runtime?.close();
    await hub?.close();
    await vhost?.remove();
  });

  async function createPatient(family: string): Promise<Patient & { id: string }> {
    return (await hub.medplum.createResource<Patient>({ resourceType: 'Patient', name: [{ family }] })) as Patient & { id: string };
  }

  async function eventsFor(bot: string, family: string, count: number, timeoutMs = 20_000): Promise<EventRow[]> {
    return eventually(`${count} event(s) of ${bot}/${family}`, async () => {
      const rows = await hub.sql<EventRow[]>`SELECT * FROM test_bot_events WHERE bot = ${bot} AND family = ${family} ORDER BY id`;
      return rows.length >= count ? rows : undefined;
    }, timeoutMs);
  }

  async function deadLetter(queue: string, id: string) {
    return eventually(`dead letter ${id} in ${queue}`, async () => (await runtime.bus.listDead(queue)).find((letter) => letter.id === id));
  }

  test('registers each bot and its Subscriptions once, however often it starts', async () => {
    const bots = await hub.medplum.searchResources('Bot', { identifier: `${BOT_IDENTIFIER_SYSTEM}|behave` });
    expect(bots).toHaveLength(1);
    const subscriptions = await hub.medplum.searchResources('Subscription', { url: `Bot/${bots[0].id}` });
    expect(subscriptions.map((s) => [s.criteria, s.status, s.channel?.type])).toEqual([['Patient', 'active', 'rest-hook']]);

    // Again, as a second replica starting would, then with a changed config for a scratch bot.
    const logger = pino({ level: 'silent' });
    const again = await registerBots(hub.medplum, [{ name: 'behave', timeoutMs: 1500, subscriptions: [{ criteria: 'Patient' }] }], logger);
    expect(again[0].id).toBe(bots[0].id);
    expect(again[0].subscriptionIds).toEqual([subscriptions[0].id]);

    const first = await registerBots(hub.medplum, [{ name: 'scratch', timeoutMs: 1000, subscriptions: [{ criteria: 'Encounter' }, { criteria: 'Condition' }] }], logger);
    const second = await registerBots(
      hub.medplum,
      [{ name: 'scratch', timeoutMs: 1000, subscriptions: [{ criteria: 'Encounter' }, { criteria: 'Condition', interactions: ['create', 'delete'] }] }],
      logger,
    );
    expect(second[0].id).toBe(first[0].id);
    const scratch = await hub.medplum.searchResources('Subscription', { url: `Bot/${first[0].id}` });
    expect(scratch.map((s) => s.criteria).sort()).toEqual(['Condition', 'Encounter']);
    const condition = scratch.find((s) => s.criteria === 'Condition') as Subscription;
    expect(condition.extension?.map((e) => e.valueCode)).toEqual(['create', 'delete']);
    expect(condition.meta?.tag?.[0].system).toBe(BOT_SUBSCRIPTION_TAG_SYSTEM);
    // The Encounter one survived untouched; the old Condition one is gone.
    expect(second[0].subscriptionIds).toContain(first[0].subscriptionIds[0]);
    expect(second[0].subscriptionIds).not.toContain(first[0].subscriptionIds[1]);
    await registerBots(hub.medplum, [{ name: 'scratch', timeoutMs: 1000, subscriptions: [] }], logger);
    expect(await hub.medplum.searchResources('Subscription', { url: `Bot/${first[0].id}` })).toHaveLength(0);
  });

  test('a delivery reaches the handler in Medplum bot shape, with an idempotency key, and is audited', async () => {
    const patient = await createPatient('Ok');
    const [row] = await eventsFor('behave', 'Ok', 1);
    const bot = (await hub.medplum.searchResources('Bot', { identifier: `${BOT_IDENTIFIER_SYSTEM}|behave` }))[0] as Bot;
    const event = row.event;
    expect(event.inputRef).toBe(`Patient/${patient.id}`);
    expect(event.contentType).toBe('application/fhir+json');
    expect(event.bot).toEqual({ reference: `Bot/${bot.id}`, display: 'behave' });
    expect(event.secretNames.sort()).toEqual(['DATABASE_URL', 'GREETING']);
    expect(event.greeting).toBe('selamat pagi');
    expect(event.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.headers['idempotency-key']).toBe(event.idempotencyKey);
    expect(event).toMatchObject({ attempt: 1, interaction: 'create', versionId: patient.meta?.versionId });
    expect(event.subscription).toMatch(/^Subscription\//);

    const audits = await eventually('the AuditEvent', async () => {
      const found = await auditsOf(hub, `Patient/${patient.id}`, event.idempotencyKey);
      return found.length > 0 ? found : undefined;
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ outcome: '0', action: 'E', agent: [{ who: { reference: `Bot/${bot.id}` } }] });
    expect(audits[0].entity?.map((e) => e.what?.reference)).toContain(event.subscription);
  });

  test('a failing handler is retried with backoff and the same key, each attempt audited with its error', async () => {
    const patient = await createPatient('Flaky');
    const rows = await eventsFor('behave', 'Flaky', 3);
    expect(rows.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(new Set(rows.map((r) => r.idempotency_key)).size).toBe(1);
    // Level 1 waits 200 ms, level 2 400 ms (plus up to 20 % jitter).
    expect(rows[1].at.getTime() - rows[0].at.getTime()).toBeGreaterThanOrEqual(190);
    expect(rows[2].at.getTime() - rows[1].at.getTime()).toBeGreaterThanOrEqual(390);
    const audits = await eventually('three AuditEvents', async () => {
      const found = await auditsOf(hub, `Patient/${patient.id}`, rows[0].idempotency_key);
      return found.length >= 3 ? found : undefined;
    });
    expect(audits.map((a) => a.outcome)).toEqual(['4', '4', '0']);
    expect(audits[0].outcomeDesc).toContain('flaky on attempt 1');
    expect(audits[0].outcomeDesc).toContain('SIMPUL-BOTS-102');
  });

  test('a handler that always throws is dead-lettered after maxAttempts with its error kept', async () => {
    const patient = await createPatient('Throw');
    const rows = await eventsFor('behave', 'Throw', 3);
    const letter = await deadLetter('bot.behave', rows[0].idempotency_key);
    expect(letter).toMatchObject({ reason: 'exhausted', attempts: 3 });
    expect(letter.lastError).toContain('bot exploded on purpose');
    const audits = await eventually('three AuditEvents', async () => {
      const found = await auditsOf(hub, `Patient/${patient.id}`, rows[0].idempotency_key);
      return found.length >= 3 ? found : undefined;
    });
    expect(audits.map((a) => a.outcome)).toEqual(['4', '4', '8']);
  });

  test('a handler that throws PermanentError is dead-lettered after one attempt', async () => {
    const patient = await createPatient('Refuse');
    const rows = await eventsFor('behave', 'Refuse', 1);
    const letter = await deadLetter('bot.behave', rows[0].idempotency_key);
    expect(letter).toMatchObject({ reason: 'permanent', attempts: 1 });
    expect(letter.lastError).toContain('SIMPUL-BOTS-107');
    expect(letter.lastError).toContain('the destination refused this for good');
    const audits = await eventually('its AuditEvent', async () => {
      const found = await auditsOf(hub, `Patient/${patient.id}`, rows[0].idempotency_key);
      return found.length >= 1 ? found : undefined;
    });
    expect(audits.map((a) => a.outcome)).toEqual(['8']);
  });

  test('a thrown non-Error, a non-JSON result and a crashing thread are failures, not runtime crashes', async () => {
    // One at a time: a crash fails whatever else the thread was running (as retryable), which would blur the errors.
    const failures: [family: string, error: string | RegExp][] = [
      ['ThrowValue', 'a non-Error value was thrown: {"not":"an error"}'],
      ['Garbage', 'SIMPUL-BOTS-104'],
      ['Crash', /SIMPUL-BOTS-105.*stopped/],
      ['Exit', /SIMPUL-BOTS-105.*exit code 3/],
    ];
    for (const [family, error] of failures) {
      await hub.medplum.createResource<Practitioner>({ resourceType: 'Practitioner', name: [{ family }] });
      const [row] = await eventsFor('fragile', family, 1);
      const letter = await deadLetter('bot.fragile', row.idempotency_key);
      if (typeof error === 'string') expect(letter.lastError).toContain(error);
      else expect(letter.lastError).toMatch(error);
    }
    // The runtime is still up and the bot still works.
    await hub.medplum.createResource<Practitioner>({ resourceType: 'Practitioner', name: [{ family: 'AfterTheCrashes' }] });
    await eventsFor('fragile', 'AfterTheCrashes', 1);
  });

  test('each bot calls the hub with its own client', async () => {
    const patient = await createPatient('ReadBack');
    const [mine] = await eventsFor('behave', 'ReadBack', 1);
    await eventually('the read-back', async () => {
      const [row] = await hub.sql<EventRow[]>`SELECT * FROM test_bot_events WHERE idempotency_key = ${mine.idempotency_key} AND event ? 'readBack'`;
      return row ? expect(row.event.readBack).toBe(patient.id) : undefined;
    });
    const [anon] = await eventsFor('anon', 'ReadBack', 1);
    const letter = await deadLetter('bot.anon', anon.idempotency_key);
    expect(letter.lastError).toMatch(/Unauthorized/i);
  });

  test('a hung bot times out and never blocks another bot', async () => {
    const hung = await createPatient('Hang');
    const [first] = await eventsFor('behave', 'Hang', 1);
    const started = Date.now();
    await hub.medplum.createResource({ resourceType: 'Observation', status: 'final', code: { text: 'heart rate' } });
    await eventsFor('steady', 'Observation', 1);
    expect(Date.now() - started).toBeLessThan(1500);
    const audits = await eventually('the timed-out attempt', async () => {
      const found = await auditsOf(hub, `Patient/${hung.id}`, first.idempotency_key);
      return found.length >= 1 ? found : undefined;
    });
    expect(audits[0].outcome).toBe('4');
    expect(audits[0].outcomeDesc).toContain('did not finish within 1500 ms');
    await createPatient('AfterTheHang');
    await eventsFor('behave', 'AfterTheHang', 1);
  }, 30_000);

  test('a message that is not a delivery is dead-lettered at once', async () => {
    const bus = await Bus.connect(vhost.url, { logger: pino({ level: 'silent' }) });
    try {
      const envelope = newEnvelope({ kind: 'delivery', source: 'test', contentType: 'application/json', body: { subscription: 'Patient/1', interaction: 'create' } });
      await bus.publish(EXCHANGES.deliveries, 'steady', envelope);
      const letter = await deadLetter('bot.steady', envelope.id);
      expect(letter).toMatchObject({ reason: 'permanent', attempts: 1 });
      expect(letter.lastError).toContain('SIMPUL-BOTS-101');
    } finally {
      await bus.close();
    }
  });
});
