import { Bus, declareTopology, EXCHANGES, newEnvelope, PermanentError } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lazyDeadLetterRoutes } from '../src/index.ts';
import { startTestHub, type BotsTestHub } from './support/test-hub.ts';

/** The dead-letter admin API as the hub serves it (`simpul hub` / `simpul start` mount it): admin token only. */
let vhost: TestVhost;
let hub: BotsTestHub;
let bus: Bus;

async function token(hubUrl: string, credentials: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await fetch(`${hubUrl}oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  vhost = await createTestVhost('simpul_hub_dead');
  hub = await startTestHub({ relay: true, busUrl: vhost.url, runOptions: { adminPlugins: [lazyDeadLetterRoutes] } });
  bus = await Bus.connect(vhost.url, { logger: pino({ level: 'silent' }) });
  await declareTopology(bus, { bots: ['probe'] });
}, 60_000);
afterAll(async () => {
  await bus?.close();
  await hub?.close();
  await vhost?.remove();
});

describe('the hub serves the dead letters', () => {
  test('an admin lists and replays a dead-lettered delivery; others are refused', async () => {
    const consumer = await bus.consume(
      'bot.probe',
      async () => {
        throw new PermanentError('the PACS refused it');
      },
      { prefetch: 1, maxAttempts: 1 },
    );
    const envelope = newEnvelope({ kind: 'delivery', source: 'test', contentType: 'application/json', body: { hello: 'world' } });
    await bus.publish(EXCHANGES.deliveries, 'probe', envelope);
    const admin = await token(hub.url, await hub.client('ops', 'system/*.* admin'));
    const list = async (): Promise<{ count: number; items: { envelope: { id: string }; lastError?: string }[] }> => {
      const res = await fetch(`${hub.url}admin/dead-letters/bot.probe`, { headers: { authorization: `Bearer ${admin}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as never;
    };
    let listed = await list();
    for (let i = 0; i < 100 && listed.count === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      listed = await list();
    }
    await consumer.close();
    expect(listed.items.map((item) => item.envelope.id)).toEqual([envelope.id]);
    expect(listed.items[0].lastError).toContain('the PACS refused it');

    const replay = await fetch(`${hub.url}admin/dead-letters/bot.probe/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [envelope.id] }),
    });
    expect(await replay.json()).toEqual({ queue: 'bot.probe.dead', replayed: 1 });
    expect(await bus.queueDepth('bot.probe')).toBe(1);

    const anonymous = await fetch(`${hub.url}admin/dead-letters/bot.probe`);
    expect(anonymous.status).toBe(401);
    const notAdmin = await token(hub.url, await hub.client('reader', 'system/*.read'));
    const refused = await fetch(`${hub.url}admin/dead-letters/bot.probe`, { headers: { authorization: `Bearer ${notAdmin}` } });
    expect(refused.status).toBe(403);
    const badQueue = await fetch(`${hub.url}admin/dead-letters/amq.direct`, { headers: { authorization: `Bearer ${admin}` } });
    expect(badQueue.status).toBe(400);
  }, 60_000);
});
