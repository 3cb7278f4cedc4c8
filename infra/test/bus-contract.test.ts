/**
 * The bus contract (DESIGN.md "The bus"), one suite run against RabbitMQ and the database bus, the
 * latter on the machine's PostgreSQL and on an embedded one started here. Every case uses its own
 * queues so the cases do not see each other's messages.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus as BusType, Delivery, Envelope, Topology } from '../src/bus/index.ts';
import { Bus, BusError, newEnvelope, PermanentError, workQueueSpecs } from '../src/bus/index.ts';
import { deferred, eventually } from '../src/bus/testing/waiting.ts';
import type { BusTarget } from './support/bus-targets.ts';
import { embeddedDatabaseTarget, machineDatabaseTarget, rabbitTarget } from './support/bus-targets.ts';

const FAST = { leaseMs: 2_000, pollIntervalMs: 50, publishTimeoutMs: 5_000 };

function envelope(body: unknown = { n: 1 }): Envelope {
  return newEnvelope({ kind: 'hl7', source: 'LAB', contentType: 'application/json', body });
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

/** A work queue `name` (retry delays in ms) bound to a topic exchange `name.x` with `keys`. */
function topology(name: string, keys: string[], retryDelaysMs: number[] = [], type: 'topic' | 'direct' = 'topic'): Topology {
  return {
    exchanges: [{ name: `${name}.x`, type }],
    queues: workQueueSpecs(name, { bindings: keys.map((routingKey) => ({ exchange: `${name}.x`, routingKey })), retryDelaysMs }),
  };
}

describe.each([rabbitTarget, machineDatabaseTarget, embeddedDatabaseTarget])('bus contract: $name', (kind) => {
  let target: BusTarget;
  let bus: BusType;

  beforeAll(async () => {
    target = await kind.setUp();
    bus = await Bus.connect(target.url, FAST);
  }, 120_000);

  afterAll(async () => {
    await bus?.close();
    await target?.remove();
  });

  it('routes topic keys as RabbitMQ does and counts ready messages', async () => {
    await bus.declare(topology('routed', ['hl7.*', 'dicom.#']));
    await bus.publish('routed.x', 'hl7.LAB', envelope());
    await bus.publish('routed.x', 'dicom.SIMPUL.extra', envelope());
    await expectBusError(bus.publish('routed.x', 'hl7.LAB.extra', envelope()), 'UNROUTABLE');
    await expectBusError(bus.publish('routed.x', 'sql.x', envelope()), 'UNROUTABLE');
    await bus.publish('routed.x', 'sql.x', envelope(), { mandatory: false });
    expect(await bus.queueDepth('routed')).toBe(2);
  });

  it('routes direct keys whole, one queue per bot', async () => {
    await bus.declare({
      exchanges: [{ name: 'deliveries.x', type: 'direct' }],
      queues: [
        ...workQueueSpecs('bot.a', { bindings: [{ exchange: 'deliveries.x', routingKey: 'a' }], retryDelaysMs: [] }),
        ...workQueueSpecs('bot.b', { bindings: [{ exchange: 'deliveries.x', routingKey: 'b' }], retryDelaysMs: [] }),
      ],
    });
    await bus.publish('deliveries.x', 'a', envelope());
    await expectBusError(bus.publish('deliveries.x', 'a.b', envelope()), 'UNROUTABLE');
    expect(await bus.queueDepth('bot.a')).toBe(1);
    expect(await bus.queueDepth('bot.b')).toBe(0);
  });

  it('delivers the envelope unchanged and acknowledges only after the handler resolved', async () => {
    await bus.declare(topology('acked', ['#']));
    const sent = envelope({ text: 'MSH|^~\\&|naïve ✓', nested: { a: [1, 2] } });
    await bus.publish('acked.x', 'hl7.LAB', sent);
    const got = deferred<{ envelope: Envelope; delivery: Delivery }>();
    const release = deferred();
    const sub = await bus.consume('acked', async (received, delivery) => {
      got.resolve({ envelope: received, delivery });
      await release.promise;
    }, { prefetch: 4 });
    const { envelope: received, delivery } = await got.promise;
    expect(received).toEqual({ ...sent, attempt: 1 });
    expect(delivery).toMatchObject({ queue: 'acked', attempt: 1, redelivered: false });
    expect(await bus.queueDepth('acked')).toBe(0); // held, not ready
    release.resolve();
    await sub.close();
    expect(await bus.queueDepth('acked')).toBe(0);
    // Nothing comes back once acknowledged.
    const again: string[] = [];
    const probe = await bus.consume('acked', (e) => void again.push(e.id), { prefetch: 1 });
    await bus.publish('acked.x', 'x', envelope({ marker: true }));
    await eventually('the marker message', () => again.length >= 1);
    await probe.close();
    expect(again).toHaveLength(1);
    expect(again[0]).not.toBe(sent.id);
  });

  it('keeps at most `prefetch` handlers running', async () => {
    await bus.declare(topology('bounded', ['#']));
    for (let i = 0; i < 6; i++) await bus.publish('bounded.x', 'k', envelope({ i }));
    let running = 0;
    let most = 0;
    const release = deferred();
    const done: number[] = [];
    const sub = await bus.consume('bounded', async (e) => {
      running++;
      most = Math.max(most, running);
      await release.promise;
      running--;
      done.push((e.body as { i: number }).i);
    }, { prefetch: 2 });
    await eventually('two handlers running', () => running === 2);
    expect(await bus.queueDepth('bounded')).toBe(4);
    release.resolve();
    await eventually('all six handled', () => done.length === 6);
    await sub.close();
    expect(most).toBe(2);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('retries through the retry levels, then dead-letters with the reason and the last error', async () => {
    await bus.declare(topology('flaky', ['#'], [100, 200]));
    const sent = envelope();
    await bus.publish('flaky.x', 'k', sent);
    const attempts: number[] = [];
    const sub = await bus.consume('flaky', (e, d) => {
      attempts.push(d.attempt);
      expect(e.attempt).toBe(d.attempt);
      throw new Error(`boom ${d.attempt}`);
    }, { prefetch: 1 });
    await eventually('dead-lettered', async () => (await bus.queueDepth('flaky.dead')) === 1, 15_000);
    await sub.close();
    expect(attempts).toEqual([1, 2, 3]);
    const [letter] = await bus.listDead('flaky');
    expect(letter).toMatchObject({ id: sent.id, reason: 'exhausted', lastError: 'boom 3', attempts: 3, queue: 'flaky', replays: 0 });
    expect(letter.envelope?.body).toEqual(sent.body);
    expect(await bus.listDead('flaky.dead')).toHaveLength(1); // listing does not remove
  });

  it('sends a PermanentError straight to .dead, and replays it with the same id and a fresh attempt budget', async () => {
    await bus.declare(topology('refusing', ['#'], [100]));
    const sent = envelope();
    const other = envelope();
    await bus.publish('refusing.x', 'k', sent);
    await bus.publish('refusing.x', 'k', other);
    let fail = true;
    const seen: { id: string; attempt: number }[] = [];
    const sub = await bus.consume('refusing', (e, d) => {
      seen.push({ id: e.id, attempt: d.attempt });
      if (fail) throw new PermanentError('unknown code XYZ');
    }, { prefetch: 1 });
    await eventually('both dead', async () => (await bus.queueDepth('refusing.dead')) === 2);
    expect((await bus.listDead('refusing')).map((letter) => [letter.reason, letter.attempts, letter.lastError])).toEqual([
      ['permanent', 1, 'unknown code XYZ'],
      ['permanent', 1, 'unknown code XYZ'],
    ]);
    fail = false;
    expect(await bus.replayDead('refusing', { ids: [sent.id, 'no-such-id'] })).toBe(1);
    await eventually('replayed one handled', () => seen.length === 3);
    await sub.close();
    expect(seen[2]).toEqual({ id: sent.id, attempt: 1 });
    const left = await bus.listDead('refusing');
    expect(left.map((letter) => letter.id)).toEqual([other.id]);
    expect(await bus.replayDead('refusing', { ids: [] })).toBe(0);
  });

  it('dead-letters a body that is not an envelope, keeping the raw text', async () => {
    await bus.declare(topology('garbage', ['#'], [100]));
    await target.injectRaw('garbage', '{"not":"an envelope"');
    const handled: string[] = [];
    const sub = await bus.consume('garbage', (e) => void handled.push(e.id), { prefetch: 1 });
    await eventually('dead', async () => (await bus.queueDepth('garbage.dead')) === 1);
    await sub.close();
    expect(handled).toEqual([]);
    const [letter] = await bus.listDead('garbage');
    expect(letter.reason).toBe('malformed');
    expect(letter.rawBody).toBe('{"not":"an envelope"');
    expect(letter.lastError).toMatch(/not JSON/);
  });

  it("gives a crashed consumer's message to another consumer, marked redelivered", async () => {
    await bus.declare(topology('orphaned', ['#']));
    const sent = envelope();
    await bus.publish('orphaned.x', 'k', sent);
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'support', 'crash-consumer.ts'), target.currentUrl(), 'orphaned'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await eventually('the child took the message', () => output.includes(`took ${sent.id}`), 20_000);
    child.kill('SIGKILL');
    await exited;
    const got = deferred<Delivery & { id: string }>();
    const sub = await bus.consume('orphaned', (e, d) => got.resolve({ ...d, id: e.id }), { prefetch: 1 });
    const delivery = await got.promise;
    await sub.close();
    expect(delivery.id).toBe(sent.id);
    expect(delivery.redelivered).toBe(true);
    expect(delivery.attempt).toBe(1);
  });

  it('keeps published messages across a reconnect (and a server restart where it can)', async () => {
    await bus.declare(topology('durable', ['#']));
    const sent = envelope();
    await bus.publish('durable.x', 'k', sent);
    await bus.close();
    await target.restart();
    bus = await Bus.connect(target.currentUrl(), FAST);
    expect(await bus.queueDepth('durable')).toBe(1);
    const got = deferred<string>();
    const sub = await bus.consume('durable', (e) => got.resolve(e.id), { prefetch: 1 });
    expect(await got.promise).toBe(sent.id);
    await sub.close();
  });

  it('refuses what it must refuse, with a code', async () => {
    await expectBusError(bus.queueDepth('no-such-queue'), 'QUEUE_NOT_FOUND');
    await expect(bus.consume('no-such-queue', () => undefined, { prefetch: 1 })).rejects.toBeInstanceOf(BusError);
    await expectBusError(bus.publish('routed.x', 'k'.repeat(256), envelope()), 'INVALID_ARGUMENT');
    await expectBusError(bus.publish('routed.x', 'hl7.x', { ...envelope(), id: '' }), 'INVALID_ARGUMENT');
    await expectBusError(bus.consume('routed', () => undefined, { prefetch: 0 }), 'INVALID_ARGUMENT');
    await expectBusError(bus.listDead('routed', { limit: -1 }), 'INVALID_ARGUMENT');
    // Hostile names are data, not SQL or AMQP syntax.
    const hostile = `q'; DROP TABLE x; --`;
    await bus.declare(topology(hostile, ['#']));
    await bus.publish(`${hostile}.x`, 'k', envelope());
    expect(await bus.queueDepth(hostile)).toBe(1);
    await bus.check();
    expect(bus.isReady()).toBe(true);
  });

  it('reports CLOSED after close', async () => {
    const closing = await Bus.connect(target.currentUrl(), FAST);
    await closing.close();
    expect(closing.isReady()).toBe(false);
    await expectBusError(closing.publish('routed.x', 'hl7.x', envelope()), 'CLOSED');
    await expectBusError(Promise.resolve().then(() => closing.queueDepth('routed')), 'CLOSED');
  });
});

describe('Bus.connect', () => {
  it('picks the bus by the URL scheme and refuses others without echoing a password', async () => {
    const error = await expectBusError(Bus.connect('http://user:s3cret@host/'), 'INVALID_ARGUMENT');
    expect(error.message).not.toContain('s3cret');
    expect(error.message).toMatch(/amqp:\/\/.*postgres:\/\//);
    const refused = await expectBusError(Bus.connect('postgres://u:s3cret@127.0.0.1:1/x', { connectTimeoutMs: 2000 }), 'CONNECT_FAILED');
    expect(refused.message).not.toContain('s3cret');
  });
});
