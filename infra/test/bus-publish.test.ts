import { Connection } from 'rabbitmq-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus, BusError, declareTopology, EXCHANGES, newEnvelope } from '../src/bus/index.ts';
import type { Envelope } from '../src/bus/index.ts';
import type { TestVhost } from '../src/bus/testing/test-vhost.ts';
import { createTestVhost } from '../src/bus/testing/test-vhost.ts';

let vhost: TestVhost;
let bus: Bus;
let raw: Connection;

beforeAll(async () => {
  vhost = await createTestVhost();
  bus = await Bus.connect(vhost.url, { connectionName: 'bus-publish-test', publishTimeoutMs: 3000 });
  await declareTopology(bus, { bots: ['pacs'], retryDelaysMs: [100] });
  raw = new Connection(vhost.url);
  raw.on('error', () => undefined);
});

afterAll(async () => {
  await bus?.close();
  await raw?.close();
  await vhost?.remove();
});

function hl7Envelope(): Envelope<string> {
  return newEnvelope({ kind: 'hl7', source: 'RSUD_A', contentType: 'x-application/hl7-v2+er7', body: 'MSH|^~\\&|HIS|RSUD_A|SIMPUL|HUB|20240101||ADT^A01|MSG1|P|2.5\r' });
}

async function expectBusError(promise: Promise<unknown>, code: string): Promise<BusError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BusError);
  expect((error as BusError).code).toBe(code);
  return error as BusError;
}

describe('publish', () => {
  it('delivers the envelope intact, persistent, with messageId and correlationId', async () => {
    const envelope = hl7Envelope();
    await bus.publish(EXCHANGES.ingest, 'hl7.RSUD_A', envelope);
    const message = await raw.basicGet({ queue: 'ingest', noAck: true });
    expect(message).toBeDefined();
    expect(message?.body).toEqual(envelope);
    expect(message?.messageId).toBe(envelope.id);
    expect(message?.correlationId).toBe(envelope.traceId);
    expect(message?.contentType).toBe('application/json');
    expect(message?.durable).toBe(true);
    expect(message?.routingKey).toBe('hl7.RSUD_A');
  });

  it('routes deliveries to the bot named by the routing key, in this vhost only', async () => {
    const envelope = newEnvelope({ kind: 'delivery', source: 'hub', contentType: 'application/fhir+json', body: { resourceType: 'ImagingStudy', id: 's1' } });
    await bus.publish(EXCHANGES.deliveries, 'pacs', envelope);
    expect(await bus.queueDepth('bot.pacs')).toBe(1);
    const message = await raw.basicGet({ queue: 'bot.pacs', noAck: true });
    expect(message?.body).toEqual(envelope);
    expect(await bus.queueDepth('bot.pacs')).toBe(0);
  });

  it('rejects when the exchange does not exist (the broker refuses it) and keeps working after', async () => {
    const error = await expectBusError(bus.publish('no.such.exchange', 'x', hl7Envelope()), 'PUBLISH_FAILED');
    expect(error.message).toMatch(/NOT_FOUND|no exchange/);
    await bus.publish(EXCHANGES.ingest, 'hl7.after', hl7Envelope());
    expect(await bus.queueDepth('ingest')).toBe(1);
    await raw.queuePurge('ingest');
  });

  it('rejects a message no queue takes, unless told it may have no listener', async () => {
    await expectBusError(bus.publish(EXCHANGES.deliveries, 'no-such-bot', hl7Envelope()), 'UNROUTABLE');
    await expect(bus.publish(EXCHANGES.events, 'Patient.create', hl7Envelope(), { mandatory: false })).resolves.toBeUndefined();
  });

  it('rejects when the broker nacks the message', async () => {
    await bus.declare({
      exchanges: [{ name: 'test.full', type: 'direct' }],
      // A classic queue: a quorum queue applies its length limit a little late.
      queues: [{ name: 'full', arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' }, bindings: [{ exchange: 'test.full', routingKey: 'k' }] }],
    });
    await bus.publish('test.full', 'k', hl7Envelope());
    await expectBusError(bus.publish('test.full', 'k', hl7Envelope()), 'PUBLISH_NACKED');
    expect(await bus.queueDepth('full')).toBe(1);
  });

  it('refuses invalid envelopes and routing keys without sending anything', async () => {
    await expectBusError(bus.publish(EXCHANGES.ingest, 'hl7.x', { ...hl7Envelope(), kind: 'smtp' } as never), 'INVALID_ARGUMENT');
    await expectBusError(bus.publish(EXCHANGES.ingest, 'hl7.x', { ...hl7Envelope(), id: '' }), 'INVALID_ARGUMENT');
    await expectBusError(bus.publish(EXCHANGES.ingest, 'k'.repeat(256), hl7Envelope()), 'INVALID_ARGUMENT');
    await expectBusError(bus.publish(EXCHANGES.ingest, 'hl7.x', null as never), 'INVALID_ARGUMENT');
    expect(await bus.queueDepth('ingest')).toBe(0);
  });

  it('runs concurrent publishes, each confirmed', async () => {
    const envelopes = Array.from({ length: 50 }, () => hl7Envelope());
    await Promise.all(envelopes.map((envelope, index) => bus.publish(EXCHANGES.ingest, `hl7.s${index}`, envelope)));
    expect(await bus.queueDepth('ingest')).toBe(50);
    await raw.queuePurge('ingest');
  });
});

describe('queues and readiness', () => {
  it('reports queue depth, and QUEUE_NOT_FOUND for a missing queue', async () => {
    expect(await bus.queueDepth('bot.pacs.dead')).toBe(0);
    await expectBusError(bus.queueDepth('no-such-queue'), 'QUEUE_NOT_FOUND');
    expect(await bus.queueDepth('ingest')).toBe(0);
  });

  it('is ready and answers a check', async () => {
    expect(bus.isReady()).toBe(true);
    await expect(bus.check()).resolves.toBeUndefined();
  });

  it('declaring a queue again with other arguments fails with a clear error', async () => {
    const error = await expectBusError(declareTopology(bus, { bots: ['pacs'], retryDelaysMs: [999] }), 'DECLARE_FAILED');
    expect(error.message).toMatch(/bot\.pacs\.retry\.1|ingest\.retry\.1/);
    expect(error.message).toMatch(/x-message-ttl/);
  });
});

describe('connect', () => {
  it('refuses a URL that is not AMQP, without echoing a password', async () => {
    const error = await expectBusError(Bus.connect('http://user:s3cret@host/'), 'INVALID_ARGUMENT');
    expect(error.message).not.toContain('s3cret');
  });

  it('fails within the connect timeout when nothing listens, without echoing the password', async () => {
    const started = Date.now();
    const error = await expectBusError(Bus.connect('amqp://guest:s3cret@127.0.0.1:1/', { connectTimeoutMs: 500, reconnectMinDelayMs: 50, reconnectMaxDelayMs: 100 }), 'CONNECT_FAILED');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses bad options', async () => {
    await expectBusError(Bus.connect(vhost.url, { publishTimeoutMs: 0 }), 'INVALID_ARGUMENT');
    await expectBusError(Bus.connect(vhost.url, { reconnectMinDelayMs: 500, reconnectMaxDelayMs: 100 }), 'INVALID_ARGUMENT');
  });

  it('honours the vhost in the URL path', async () => {
    const elsewhere = await Bus.connect(vhost.url.replace(/\/[^/]+$/, '/'), { connectTimeoutMs: 3000 });
    try {
      // The test vhost has bot.pacs; the default vhost must not see it through this URL.
      await expectBusError(elsewhere.queueDepth('bot.pacs.dead'), 'QUEUE_NOT_FOUND');
    } finally {
      await elsewhere.close();
    }
    expect(await bus.queueDepth('bot.pacs.dead')).toBe(0);
  });
});
