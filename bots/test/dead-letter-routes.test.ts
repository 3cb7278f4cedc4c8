import { Bus, EXCHANGES, PermanentError, newEnvelope, type Envelope } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deadLetterRoutes } from '../src/index.ts';
import { deliveryTopology } from '../src/runtime/topology.ts';
import { eventually } from './support/runtime-fixture.ts';

describe('dead-letter admin API on a real RabbitMQ', () => {
  let vhost: TestVhost;
  let bus: Bus;
  let app: FastifyInstance;
  let healed = false;
  const handled: Envelope[] = [];

  beforeAll(async () => {
    vhost = await createTestVhost('simpul_bots_admin');
    bus = await Bus.connect(vhost.url, { logger: pino({ level: 'silent' }) });
    await bus.declare(deliveryTopology([{ name: 'pacs', retryDelaysMs: [100] }]));
    await bus.consume(
      'bot.pacs',
      (envelope) => {
        if (!healed) throw new PermanentError('PACS refused the study');
        handled.push(envelope);
      },
      { prefetch: 4 },
    );
    app = Fastify({ routerOptions: { maxParamLength: 1024 } }); // as the hub builds it
    await app.register(deadLetterRoutes, { bus });
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await vhost?.remove();
  });

  async function deadOnes(count: number): Promise<Envelope[]> {
    const envelopes = Array.from({ length: count }, (_, i) =>
      newEnvelope({ kind: 'delivery', source: 'test', contentType: 'application/json', body: { n: i } }),
    );
    for (const envelope of envelopes) await bus.publish(EXCHANGES.deliveries, 'pacs', envelope);
    await eventually('dead letters', async () => {
      const ids = new Set((await bus.listDead('bot.pacs', { limit: 1000 })).map((letter) => letter.id));
      return envelopes.every((envelope) => ids.has(envelope.id)) ? true : undefined;
    });
    return envelopes;
  }

  test('lists dead letters with their reason and error, without removing them', async () => {
    const [envelope] = await deadOnes(1);
    for (const queue of ['bot.pacs', 'bot.pacs.dead']) {
      const response = await app.inject({ method: 'GET', url: `/admin/dead-letters/${queue}?limit=50` });
      expect(response.statusCode).toBe(200);
      const list = response.json();
      expect(list.queue).toBe('bot.pacs.dead');
      const letter = list.items.find((item: { id: string }) => item.id === envelope.id);
      expect(letter).toMatchObject({ reason: 'permanent', lastError: 'PACS refused the study', attempts: 1, queue: 'bot.pacs', envelope: { id: envelope.id, body: { n: 0 } } });
    }
  });

  test('replays chosen ids with the same envelope id, then all', async () => {
    const [a, b] = await deadOnes(2);
    healed = true;
    const none = await app.inject({ method: 'POST', url: '/admin/dead-letters/bot.pacs.dead/replay', payload: { ids: ['no-such-id'] } });
    expect(none.json()).toEqual({ queue: 'bot.pacs.dead', replayed: 0 });
    const one = await app.inject({ method: 'POST', url: '/admin/dead-letters/bot.pacs/replay', payload: { ids: [a.id] } });
    expect(one.json()).toEqual({ queue: 'bot.pacs.dead', replayed: 1 });
    await eventually('the replayed delivery', async () => (handled.some((e) => e.id === a.id) ? true : undefined));
    expect(handled.some((e) => e.id === b.id)).toBe(false);
    const rest = await app.inject({ method: 'POST', url: '/admin/dead-letters/bot.pacs.dead/replay', payload: { all: true } });
    expect(rest.json().replayed).toBeGreaterThanOrEqual(2);
    await eventually('every replayed delivery', async () => (handled.some((e) => e.id === b.id) ? true : undefined));
    expect((await bus.listDead('bot.pacs')).length).toBe(0);
  });

  test.each([
    ['GET', '/admin/dead-letters/amq.rabbitmq.trace', undefined, 400, 'SIMPUL-BOTS-001'],
    ['GET', '/admin/dead-letters/..%2F..%2Fetc', undefined, 400, 'SIMPUL-BOTS-001'],
    ['GET', '/admin/dead-letters/bot.pacs.retry.1', undefined, 400, 'SIMPUL-BOTS-001'],
    ['GET', `/admin/dead-letters/bot.${'x'.repeat(300)}`, undefined, 400, 'SIMPUL-BOTS-001'],
    ['GET', '/admin/dead-letters/bot.nobody', undefined, 404, 'SIMPUL-BOTS-002'],
    ['GET', '/admin/dead-letters/bot.pacs?limit=0', undefined, 400, 'SIMPUL-BOTS-003'],
    ['GET', '/admin/dead-letters/bot.pacs?limit=abc', undefined, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', {}, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', { ids: ['a'], all: true }, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', { all: false }, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', { ids: [] }, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', { ids: [42] }, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', { ids: 'all' }, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', { ids: ['a'], extra: 1 }, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', [{ all: true }], 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', { ids: ['x'.repeat(201)] }, 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.pacs/replay', '{not json', 400, 'SIMPUL-BOTS-003'],
    ['POST', '/admin/dead-letters/bot.nobody/replay', { all: true }, 404, 'SIMPUL-BOTS-002'],
  ])('%s %s %j → %i %s as an OperationOutcome', async (method, url, payload, status, code) => {
    const response = await app.inject({
      method: method as 'GET' | 'POST',
      url,
      ...(payload === undefined ? {} : { payload: payload as never, headers: { 'content-type': 'application/json' } }),
    });
    expect(response.statusCode).toBe(status);
    const outcome = response.json();
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].details.coding[0].code).toBe(code);
    expect(response.body).not.toMatch(/at .*\.ts:\d+/); // no stack traces
  });

  test('a closed bus answers 503, not a stack trace', async () => {
    const closed = await Bus.connect(vhost.url, { logger: pino({ level: 'silent' }) });
    await closed.close();
    const other = Fastify();
    await other.register(deadLetterRoutes, { bus: closed });
    const response = await other.inject({ method: 'GET', url: '/admin/dead-letters/bot.pacs' });
    expect(response.statusCode).toBe(503);
    expect(response.json().issue[0].details.coding[0].code).toBe('SIMPUL-BOTS-004');
    await other.close();
  });
});
