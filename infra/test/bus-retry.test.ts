import { Connection } from 'rabbitmq-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPTS_HEADER, Bus, BusError, declareTopology, EXCHANGES, newEnvelope, PermanentError, RetryableError, workQueueSpecs } from '../src/bus/index.ts';
import type { Delivery, Envelope } from '../src/bus/index.ts';
import type { TestVhost } from '../src/bus/testing/test-vhost.ts';
import { createTestVhost } from '../src/bus/testing/test-vhost.ts';
import { deferred, eventually } from '../src/bus/testing/waiting.ts';

let vhost: TestVhost;
let bus: Bus;
let raw: Connection;
const BOTS = ['flaky', 'broken', 'refusing', 'replayed', 'garbage', 'probed', 'selective', 'limited'];

beforeAll(async () => {
  vhost = await createTestVhost();
  bus = await Bus.connect(vhost.url, { connectionName: 'bus-retry-test' });
  await declareTopology(bus, { bots: BOTS, retryDelaysMs: [100, 200] });
  raw = new Connection(vhost.url);
  raw.on('error', () => undefined);
});

afterAll(async () => {
  await bus?.close();
  await raw?.close();
  await vhost?.remove();
});

function delivery(body: unknown = { resourceType: 'ServiceRequest', id: 'sr-1' }): Envelope {
  return newEnvelope({ kind: 'delivery', source: 'hub', contentType: 'application/fhir+json', body });
}

interface Seen {
  id: string;
  attempt: number;
  envelopeAttempt: number | undefined;
  at: number;
  redelivered: boolean;
}

function record(seen: Seen[], envelope: Envelope, info: Delivery): void {
  seen.push({ id: envelope.id, attempt: info.attempt, envelopeAttempt: envelope.attempt, at: performance.now(), redelivered: info.redelivered });
}

const depth = (queue: string) => bus.queueDepth(queue);

describe('retry through the TTL queues', () => {
  it('retries a failing handler with the configured delays and succeeds on attempt 3', async () => {
    const seen: Seen[] = [];
    const succeeded = deferred();
    const subscription = await bus.consume(
      'bot.flaky',
      (envelope, info) => {
        record(seen, envelope, info);
        if (info.attempt < 3) throw new RetryableError(`PACS busy (attempt ${info.attempt})`);
        succeeded.resolve();
      },
      { prefetch: 4 },
    );
    const envelope = delivery();
    await bus.publish(EXCHANGES.deliveries, 'flaky', envelope);
    await succeeded.promise;
    await subscription.close();

    expect(seen.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    expect(seen.map((entry) => entry.envelopeAttempt)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((entry) => entry.id))).toEqual(new Set([envelope.id]));
    // Per-level delays: ~100 ms before attempt 2, ~200 ms before attempt 3.
    expect(seen[1].at - seen[0].at).toBeGreaterThanOrEqual(90);
    expect(seen[2].at - seen[1].at).toBeGreaterThanOrEqual(190);
    expect(await depth('bot.flaky')).toBe(0);
    expect(await depth('bot.flaky.retry.1')).toBe(0);
    expect(await depth('bot.flaky.retry.2')).toBe(0);
    expect(await depth('bot.flaky.dead')).toBe(0);
  });

  it('dead-letters a message that always fails after max attempts, with the error, attempts and time', async () => {
    const seen: Seen[] = [];
    const subscription = await bus.consume(
      'bot.broken',
      (envelope, info) => {
        record(seen, envelope, info);
        throw new Error(`C-STORE to PACS failed: status 0xA700 (attempt ${info.attempt})`);
      },
      { prefetch: 4 },
    );
    const envelope = delivery({ resourceType: 'ImagingStudy', id: 'study-9' });
    const before = Date.now();
    await bus.publish(EXCHANGES.deliveries, 'broken', envelope);
    await eventually('the message to reach bot.broken.dead', async () => (await depth('bot.broken.dead')) === 1);
    await subscription.close();

    expect(seen.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    const [letter] = await bus.listDead('bot.broken');
    expect(letter).toMatchObject({ id: envelope.id, reason: 'exhausted', attempts: 3, queue: 'bot.broken', replays: 0 });
    expect(letter.lastError).toBe('C-STORE to PACS failed: status 0xA700 (attempt 3)');
    expect(Date.parse(letter.deadAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(letter.deadAt)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(letter.envelope).toEqual(envelope);
    expect(await depth('bot.broken')).toBe(0);
  });

  it('sends a PermanentError straight to dead with the reason', async () => {
    const seen: Seen[] = [];
    const subscription = await bus.consume(
      'bot.refusing',
      (envelope, info) => {
        record(seen, envelope, info);
        throw new PermanentError('SATUSEHAT answered 400: unknown KFA code 93001234');
      },
      { prefetch: 4 },
    );
    const envelope = delivery();
    await bus.publish(EXCHANGES.deliveries, 'refusing', envelope);
    await eventually('the message to reach bot.refusing.dead', async () => (await depth('bot.refusing.dead')) === 1);
    await subscription.close();

    expect(seen).toHaveLength(1);
    const letters = await bus.listDead('bot.refusing.dead');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ id: envelope.id, reason: 'permanent', attempts: 1, lastError: 'SATUSEHAT answered 400: unknown KFA code 93001234' });
  });

  it('dead-letters hostile bodies without calling the handler', async () => {
    let calls = 0;
    const subscription = await bus.consume(
      'bot.garbage',
      () => {
        calls++;
      },
      { prefetch: 4 },
    );
    const publisher = raw.createPublisher({ confirm: true });
    await publisher.send({ routingKey: 'bot.garbage', durable: true }, 'MSH|^~\\&|not json at all');
    await publisher.send({ routingKey: 'bot.garbage', durable: true, messageId: 'no-envelope' }, { hello: 'world' });
    await publisher.send({ routingKey: 'bot.garbage', durable: true, contentType: 'application/json' }, Buffer.from('{"truncated":'));
    await publisher.close();
    await eventually('three malformed messages in bot.garbage.dead', async () => (await depth('bot.garbage.dead')) === 3);
    await subscription.close();

    expect(calls).toBe(0);
    const letters = await bus.listDead('bot.garbage');
    expect(letters.map((letter) => letter.reason)).toEqual(['malformed', 'malformed', 'malformed']);
    expect(letters[0].lastError).toMatch(/not JSON/);
    expect(letters[0].rawBody).toBe('MSH|^~\\&|not json at all');
    expect(letters[1]).toMatchObject({ id: 'no-envelope' });
    expect(letters[1].lastError).toMatch(/^malformed envelope: id/);
    expect(letters[2].rawBody).toBe('{"truncated":');
  });

  it('finds the retry and dead queues of a queue it did not declare itself', async () => {
    const other = await Bus.connect(vhost.url, { connectionName: 'bus-retry-test-prober' });
    try {
      const seen: Seen[] = [];
      const subscription = await other.consume(
        'bot.probed',
        (envelope, info) => {
          record(seen, envelope, info);
          throw new Error('always');
        },
        { prefetch: 1 },
      );
      await bus.publish(EXCHANGES.deliveries, 'probed', delivery());
      await eventually('the message to reach bot.probed.dead', async () => (await depth('bot.probed.dead')) === 1);
      await subscription.close();
      expect(seen.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
      expect(seen[2].at - seen[1].at).toBeGreaterThanOrEqual(190);
      const error = await other.consume('no-such-queue', () => undefined, { prefetch: 1 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BusError);
      expect((error as BusError).code).toBe('QUEUE_NOT_FOUND');
    } finally {
      await other.close();
    }
  });

  it('keeps a message the broker gives up on (delivery limit) in .dead', async () => {
    const limited = await Bus.connect(vhost.url);
    try {
      await limited.declare({
        exchanges: [],
        queues: workQueueSpecs('bot.crashy', { retryDelaysMs: [100], deliveryLimit: 1, bindings: [{ exchange: EXCHANGES.deliveries, routingKey: 'crashy' }] }),
      });
      const envelope = delivery();
      await limited.publish(EXCHANGES.deliveries, 'crashy', envelope);
      // Two deliveries that are never acknowledged, as with a consumer that crashes on the message.
      const channel = await raw.acquire();
      for (let delivered = 0; delivered < 2; delivered++) {
        const message = await channel.basicGet({ queue: 'bot.crashy' });
        expect(message?.messageId).toBe(envelope.id);
        channel.basicNack({ deliveryTag: message!.deliveryTag, requeue: true });
      }
      await channel.close();
      await eventually('the broker to dead-letter it', async () => (await limited.queueDepth('bot.crashy.dead')) === 1);
      const [letter] = await limited.listDead('bot.crashy');
      expect(letter).toMatchObject({ id: envelope.id, reason: 'broker', queue: 'bot.crashy' });
      expect(letter.lastError).toMatch(/delivery_limit/);
    } finally {
      await limited.close();
    }
  });
});

describe('dead letters', () => {
  async function deadLetters(bot: string, count: number): Promise<Envelope[]> {
    const subscription = await bus.consume(
      `bot.${bot}`,
      () => {
        throw new PermanentError('rejected by the destination');
      },
      { prefetch: 10 },
    );
    const envelopes = Array.from({ length: count }, (_unused, index) => delivery({ n: index }));
    for (const envelope of envelopes) await bus.publish(EXCHANGES.deliveries, bot, envelope);
    await eventually(`${count} dead letters in bot.${bot}.dead`, async () => (await depth(`bot.${bot}.dead`)) === count);
    await subscription.close();
    return envelopes;
  }

  it('lists without losing anything, honouring the limit', async () => {
    const envelopes = await deadLetters('selective', 3);
    const all = await bus.listDead('bot.selective');
    expect(all.map((letter) => letter.id).sort()).toEqual(envelopes.map((envelope) => envelope.id).sort());
    expect(await bus.listDead('bot.selective', { limit: 2 })).toHaveLength(2);
    expect(await bus.listDead('bot.selective', { limit: 0 })).toEqual([]);
    // A quorum queue's count catches up with returned messages a moment later.
    await eventually('all three back in the dead queue', async () => (await depth('bot.selective.dead')) === 3);
    expect(await bus.listDead('bot.selective', { limit: 100 })).toHaveLength(3);
    for (const limit of [-1, 1.5, 10_001]) {
      await expect(bus.listDead('bot.selective', { limit })).rejects.toThrow(/limit/);
    }
    await expect(bus.listDead('no-such-queue')).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' });
  });

  it('replays only the chosen ids, keeping the others', async () => {
    const envelopes = (await bus.listDead('bot.selective')).map((letter) => letter.envelope!);
    expect(await bus.replayDead('bot.selective', { ids: [] })).toBe(0);
    expect(await bus.replayDead('bot.selective', { ids: ['not-there'] })).toBe(0);
    expect(await bus.replayDead('bot.selective', { ids: [envelopes[1].id] })).toBe(1);
    expect(await depth('bot.selective')).toBe(1);
    const kept = await bus.listDead('bot.selective');
    expect(kept.map((letter) => letter.id).sort()).toEqual([envelopes[0].id, envelopes[2].id].sort());
    const back = await raw.basicGet({ queue: 'bot.selective', noAck: true });
    expect(back?.body).toEqual(envelopes[1]);
    expect(back?.messageId).toBe(envelopes[1].id);
    expect(back?.headers?.[ATTEMPTS_HEADER]).toBeUndefined();
    await expect(bus.replayDead('bot.selective', { ids: 'some' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('replays a dead letter to the work queue, where it is handled with the same id', async () => {
    let fixed = false;
    const seen: Seen[] = [];
    const handled = deferred();
    const subscription = await bus.consume(
      'bot.replayed',
      (envelope, info) => {
        record(seen, envelope, info);
        if (!fixed) throw new PermanentError('mapping for code X missing');
        handled.resolve();
      },
      { prefetch: 2 },
    );
    const envelope = delivery();
    await bus.publish(EXCHANGES.deliveries, 'replayed', envelope);
    await eventually('the dead letter', async () => (await depth('bot.replayed.dead')) === 1);

    fixed = true;
    expect(await bus.replayDead('bot.replayed', { ids: 'all' })).toBe(1);
    await handled.promise;
    await subscription.close();

    expect(seen.map((entry) => [entry.id, entry.attempt])).toEqual([
      [envelope.id, 1],
      [envelope.id, 1],
    ]);
    expect(await depth('bot.replayed.dead')).toBe(0);
    expect(await depth('bot.replayed')).toBe(0);
  });
});
