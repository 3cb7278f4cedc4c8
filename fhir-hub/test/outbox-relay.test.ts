import { Bus, EXCHANGES, type Envelope } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OutboxRelay } from '../src/outbox/relay-outbox.ts';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

const logger = pino({ level: 'silent' });

describe('outbox relay on a real RabbitMQ', () => {
  let hub: TestHub;
  let vhost: TestVhost;
  let bus: Bus;
  const received: Envelope[] = [];
  const waiters: (() => void)[] = [];

  beforeAll(async () => {
    hub = await createTestHub();
    vhost = await createTestVhost('simpul_relay');
    bus = await Bus.connect(vhost.url, { logger, publishTimeoutMs: 2000, reconnectMinDelayMs: 100, reconnectMaxDelayMs: 500 });
    await bus.declare({
      exchanges: [
        { name: EXCHANGES.events, type: 'topic' },
        { name: EXCHANGES.deliveries, type: 'direct' },
      ],
      queues: [{ name: 'relay-test', arguments: { 'x-queue-type': 'quorum' }, bindings: [{ exchange: EXCHANGES.events, routingKey: '#' }] }],
    });
    await bus.consume('relay-test', (envelope) => {
      received.push(envelope);
      for (const w of waiters.splice(0)) w();
    }, { prefetch: 50 });
  });
  afterAll(async () => {
    await bus.close();
    await vhost.remove();
    await hub.close();
  });

  const publish = (exchange: string, routingKey: string, envelope: Envelope) =>
    bus.publish(exchange, routingKey, envelope, { mandatory: exchange !== 'simpul.events' });

  async function until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for deliveries');
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async function unsent(): Promise<number> {
    const [{ n }] = await hub.db.sql<{ n: string }[]>`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL`;
    return Number(n);
  }

  test('every event arrives once, in per-resource order, across a relay restart and a second relay', async () => {
    received.length = 0;
    const relayA = new OutboxRelay({ sql: hub.db.sql, publish, logger, pollIntervalMs: 100 });
    const relayB = new OutboxRelay({ sql: hub.db.sql, publish, logger, pollIntervalMs: 100 });
    await relayA.start();
    await relayB.start();
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => hub.request('POST', '/fhir/R4/Patient', patient({ name: [{ family: `Relay${i}` }] }))));
    await relayA.stop();
    for (const p of created) {
      await hub.request('PUT', `/fhir/R4/Patient/${p.body.id}`, { ...p.body, meta: undefined, gender: 'female' });
    }
    await until(() => received.length >= 80);
    await relayB.stop();
    expect(relayA.stats.isLeader || relayB.stats.isLeader).toBe(false);
    expect(await unsent()).toBe(0);
    const ids = received.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of created) {
      const forResource = received.filter((e) => (e.body as any).id === p.body.id).map((e) => (e.body as any).interaction);
      expect(forResource).toEqual(['create', 'update']);
    }
  });

  test('writes succeed while RabbitMQ refuses us; the relay catches up when it is back', async () => {
    received.length = 0;
    const relay = new OutboxRelay({ sql: hub.db.sql, publish, logger, pollIntervalMs: 100, retryDelayMs: 100 });
    await relay.start();
    await vhost.denyAccess();
    await vhost.closeAllConnections();
    const writes = await Promise.all(Array.from({ length: 10 }, () => hub.request('POST', '/fhir/R4/Patient', patient())));
    expect(writes.every((w) => w.status === 201)).toBe(true);
    expect(await unsent()).toBeGreaterThan(0);
    await vhost.allowAccess();
    await until(() => received.length >= 10, 30_000);
    await relay.stop();
    expect(await unsent()).toBe(0);
    expect(new Set(received.map((e) => (e.body as any).id))).toEqual(new Set(writes.map((w) => w.body.id)));
  });

  test('a delivery no queue takes is parked, not lost, and does not block later events', async () => {
    received.length = 0;
    await hub.request('POST', '/fhir/R4/Subscription', {
      resourceType: 'Subscription', status: 'requested', reason: 'park test', criteria: 'Device',
      channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/nobody' },
    });
    await hub.subscriptions.reload();
    const relay = new OutboxRelay({ sql: hub.db.sql, publish, logger, pollIntervalMs: 100 });
    await relay.start();
    await hub.request('POST', '/fhir/R4/Device', { resourceType: 'Device', status: 'active' });
    await hub.request('POST', '/fhir/R4/Patient', patient());
    await until(() => received.some((e) => (e.body as any).resourceType === 'Patient'));
    await relay.stop();
    const parked = await hub.db.sql<{ routing_key: string; park_reason: string }[]>`SELECT routing_key, park_reason FROM outbox WHERE parked_at IS NOT NULL`;
    expect(parked).toHaveLength(1);
    expect(parked[0].routing_key).toBe('rest-hook');
    expect(parked[0].park_reason).toMatch(/no queue is bound/);
  });
});
