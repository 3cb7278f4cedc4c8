import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus, BusError, declareTopology, EXCHANGES, newEnvelope } from '../src/bus/index.ts';
import type { Delivery, Envelope } from '../src/bus/index.ts';
import type { TestVhost } from '../src/bus/testing/test-vhost.ts';
import { createTestVhost } from '../src/bus/testing/test-vhost.ts';
import { deferred, eventually } from '../src/bus/testing/waiting.ts';

let vhost: TestVhost;
let admin: Bus;
const fastReconnect = { reconnectMinDelayMs: 50, reconnectMaxDelayMs: 300 };

beforeAll(async () => {
  vhost = await createTestVhost();
  admin = await Bus.connect(vhost.url, { connectionName: 'bus-consume-test-admin', ...fastReconnect });
  await declareTopology(admin, { bots: ['busy', 'slow', 'victim', 'outage'], retryDelaysMs: [100] });
});

afterAll(async () => {
  await admin?.close();
  await vhost?.remove();
});

function delivery(n = 0): Envelope<{ n: number }> {
  return newEnvelope({ kind: 'delivery', source: 'hub', contentType: 'application/json', body: { n } });
}

describe('consume', () => {
  it('never runs more handlers at once than the prefetch', async () => {
    const bus = await Bus.connect(vhost.url, { connectionName: 'bus-consume-test-busy' });
    const gate = deferred();
    let running = 0;
    let mostAtOnce = 0;
    const handled = new Set<number>();
    try {
      for (let n = 0; n < 10; n++) await admin.publish(EXCHANGES.deliveries, 'busy', delivery(n));
      const subscription = await bus.consume<{ n: number }>(
        'bot.busy',
        async (envelope) => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await gate.promise;
          handled.add(envelope.body.n);
          running--;
        },
        { prefetch: 3 },
      );
      await eventually('three handlers running', () => running === 3);
      // The broker holds the rest back: 7 ready, 3 delivered and unacknowledged.
      await eventually('7 messages left in the queue', async () => (await admin.queueDepth('bot.busy')) === 7);
      expect(subscription.inFlight).toBe(3);
      expect(running).toBe(3);
      gate.resolve();
      await eventually('all ten handled', () => handled.size === 10);
      expect(mostAtOnce).toBe(3);
    } finally {
      gate.resolve();
      await bus.close();
    }
  });

  it('close() waits for the handler in flight, which is then acknowledged', async () => {
    const bus = await Bus.connect(vhost.url, { connectionName: 'bus-consume-test-slow' });
    const started = deferred();
    const gate = deferred();
    let finished = false;
    await bus.consume(
      'bot.slow',
      async () => {
        started.resolve();
        await gate.promise;
        finished = true;
      },
      { prefetch: 1 },
    );
    await admin.publish(EXCHANGES.deliveries, 'slow', delivery());
    await started.promise;

    let closed = false;
    const closing = bus.close().then(() => {
      closed = true;
    });
    // Give close() every chance to finish early (it must not).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    expect(bus.isReady()).toBe(false);
    await expect(bus.consume('bot.slow', () => undefined, { prefetch: 1 })).rejects.toMatchObject({ code: 'CLOSED' });

    gate.resolve();
    await closing;
    expect(finished).toBe(true);
    // Acknowledged, not handed back: nothing left ready or unacknowledged.
    expect(await admin.queueDepth('bot.slow')).toBe(0);
    await expect(bus.publish(EXCHANGES.deliveries, 'slow', delivery())).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('redelivers (does not lose) a message whose consumer connection died before the ack, and reconnects', async () => {
    const bus = await Bus.connect(vhost.url, { connectionName: 'bus-consume-test-victim', ...fastReconnect });
    const calls: { id: string; redelivered: boolean; attempt: number }[] = [];
    const firstStarted = deferred();
    const releaseFirst = deferred();
    const secondDone = deferred();
    try {
      await bus.consume(
        'bot.victim',
        async (envelope: Envelope, info: Delivery) => {
          calls.push({ id: envelope.id, redelivered: info.redelivered, attempt: info.attempt });
          if (calls.length === 1) {
            firstStarted.resolve();
            await releaseFirst.promise;
            return;
          }
          secondDone.resolve();
        },
        { prefetch: 1 },
      );
      const envelope = delivery();
      await bus.publish(EXCHANGES.deliveries, 'victim', envelope);
      await firstStarted.promise;

      await vhost.closeAllConnections();
      await eventually('the bus to notice', () => !bus.isReady());
      // The handler finishes after its channel is gone: its ack cannot reach the broker.
      releaseFirst.resolve();
      await secondDone.promise;

      expect(calls).toEqual([
        { id: envelope.id, redelivered: false, attempt: 1 },
        { id: envelope.id, redelivered: true, attempt: 1 },
      ]);
      await eventually('the bus to reconnect', () => bus.isReady());
      await bus.check();
      await eventually('the queue to be empty', async () => (await admin.queueDepth('bot.victim')) === 0);

      // Publishing and consuming work again after the reconnect.
      const next = delivery(1);
      await bus.publish(EXCHANGES.deliveries, 'victim', next);
      await eventually('the next message handled', () => calls.some((call) => call.id === next.id && !call.redelivered));
    } finally {
      releaseFirst.resolve();
      await bus.close();
    }
  });

  it('during an outage publishes reject within the timeout, readiness says so, and all recovers', async () => {
    const bus = await Bus.connect(vhost.url, { connectionName: 'bus-consume-test-outage', publishTimeoutMs: 400, checkTimeoutMs: 400, ...fastReconnect });
    const received: string[] = [];
    try {
      await bus.consume(
        'bot.outage',
        (envelope) => {
          received.push(envelope.id);
        },
        { prefetch: 2 },
      );
      await vhost.denyAccess();
      await vhost.closeAllConnections();
      await eventually('the bus to be down', () => !bus.isReady());

      const started = Date.now();
      const error = await bus.publish(EXCHANGES.deliveries, 'outage', delivery()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BusError);
      expect((error as BusError).code).toBe('NOT_READY');
      expect(Date.now() - started).toBeLessThan(2000);
      await expect(bus.check()).rejects.toBeInstanceOf(BusError);

      await vhost.allowAccess();
      await eventually('the bus to reconnect', () => bus.isReady(), 15_000);
      const envelope = delivery();
      await bus.publish(EXCHANGES.deliveries, 'outage', envelope);
      await eventually('the consumer to resume', () => received.includes(envelope.id), 15_000);
      expect(received).toEqual([envelope.id]);
    } finally {
      await vhost.allowAccess();
      await bus.close();
    }
  });
});
