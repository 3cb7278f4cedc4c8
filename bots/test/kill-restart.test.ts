import { randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Patient } from '@medplum/fhirtypes';
import { Bus } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ChildPart } from './support/child-part.ts';
import { eventually } from './support/runtime-fixture.ts';
import { freePort, startTestHub, type BotsTestHub } from './support/test-hub.ts';

const WRITES = 1000;
const COUNTER_BOT = fileURLToPath(new URL('../src/examples/idempotent-counter/index.ts', import.meta.url));

/**
 * The event backbone's promise, end to end: 1,000 writes matching a bot's Subscription while the
 * outbox relay (a `simpul hub` process) and the bot runtime (its own process) are killed with
 * SIGKILL and restarted at random points. Every delivery arrives, and the counting bot (the
 * idempotent-counter example) sees each idempotency key take effect exactly once.
 */
describe('deliveries survive SIGKILL of the relay and the bot runtime', () => {
  let vhost: TestVhost;
  let hub: BotsTestHub;
  let dir: string;
  let relay: ChildPart;
  let runtime: ChildPart;

  beforeAll(async () => {
    vhost = await createTestVhost('simpul_bots_kill');
    hub = await startTestHub(); // serves the writes; no relay of its own
    dir = await mkdtemp(join(tmpdir(), 'simpul-bots-kill-'));
    const runtimeClient = await hub.client('bots runtime');
    const counterClient = await hub.client('counter bot', 'system/Patient.rs');
    const config = {
      hub: { baseUrl: hub.url },
      bus: { url: vhost.url, prefetch: 32 },
      log: { level: 'warn' },
      bots: {
        ...runtimeClient,
        restHook: { enabled: false },
        list: [
          {
            name: 'counter',
            module: COUNTER_BOT,
            subscriptions: ['Patient'],
            ...counterClient,
            maxAttempts: 10,
            retryDelaysMs: [200, 500, 1000],
            secrets: { DATABASE_URL: hub.databaseUrl },
          },
        ],
      },
    };
    const configFile = join(dir, 'simpul.yaml');
    await writeFile(configFile, JSON.stringify(config)); // JSON is YAML
    runtime = new ChildPart('bots', ['bots/test/support/run-runtime.ts'], { SIMPUL_CONFIG: configFile }, /^READY$/);
    relay = new ChildPart(
      'relay',
      ['bin/simpul.ts', 'hub'],
      {
        SIMPUL_CONFIG: '',
        DATABASE_URL: hub.databaseUrl,
        AMQP_URL: vhost.url,
        SIMPUL_HUB_PORT: String(await freePort()),
        SIMPUL_STORAGE_DIR: join(dir, 'blobs'),
        SIMPUL_LOG_LEVEL: 'info',
      },
      /FHIR hub ready/,
    );
    await Promise.all([relay.start(), runtime.start()]);
  });

  afterAll(async () => {
    await runtime?.stop();
    await relay?.stop();
    await hub?.close();
    await vhost?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function effects(): Promise<{ keys: number; resources: number; counted: number; attempts: number }> {
    const [{ exists }] = await hub.sql<{ exists: boolean }[]>`SELECT to_regclass('bot_delivery_counter') IS NOT NULL AS exists`;
    if (!exists) return { keys: 0, resources: 0, counted: 0, attempts: 0 };
    const [row] = await hub.sql<{ keys: string; resources: string; counted: string | null; attempts: string }[]>`
      SELECT (SELECT count(*) FROM bot_delivery_effects) AS keys,
             (SELECT count(DISTINCT resource) FROM bot_delivery_effects) AS resources,
             (SELECT deliveries FROM bot_delivery_counter WHERE resource_type = 'Patient') AS counted,
             (SELECT count(*) FROM bot_delivery_attempts) AS attempts`;
    return { keys: Number(row.keys), resources: Number(row.resources), counted: Number(row.counted ?? 0), attempts: Number(row.attempts) };
  }

  test(`${WRITES} writes, random SIGKILLs: every delivery arrives, each key takes effect exactly once`, async () => {
    // The bot's Subscription (registered by the child runtime) must be live in the hub before the writes.
    const subscriptions = await hub.medplum.searchResources('Subscription', { status: 'active' });
    expect(subscriptions.map((s) => s.criteria)).toEqual(['Patient']);
    await hub.subscriptionsLive(subscriptions.map((s) => s.id as string));
    const warmUp = await hub.medplum.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'WarmUp' }] });
    await eventually('the warm-up delivery', async () => ((await effects()).keys >= 1 ? true : undefined), 30_000);

    const created: string[] = [warmUp.id as string];
    const writing = (async () => {
      // Straight into the hub's repository (same transaction, outbox and Subscription matching as over HTTP), 16 at a time.
      for (let i = 0; i < WRITES; i += 16) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(16, WRITES - i) }, (_, k) =>
            hub.repo.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Kill', given: [String(i + k)] }] }),
          ),
        );
        for (const patient of batch) created.push(patient.id);
      }
    })();

    const kills: string[] = [];
    const chaos = (async () => {
      // Two kills of each, one of them both at once (a host going down), at random moments.
      for (const targets of [[runtime], [relay, runtime], [relay]]) {
        await new Promise((resolve) => setTimeout(resolve, randomInt(200, 1200)));
        kills.push(`${targets.map((t) => t.name).join('+')} after ${(await effects()).keys} effects`);
        await Promise.all(targets.map((target) => target.kill()));
        await Promise.all(targets.map((target) => target.start()));
      }
    })();

    await Promise.all([writing, chaos]);
    expect(created).toHaveLength(WRITES + 1);
    const done = await eventually(
      `all ${WRITES + 1} deliveries (kills: ${kills.join(', ')})`,
      async () => {
        const now = await effects();
        return now.keys >= WRITES + 1 ? now : undefined;
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${[...relay.output.slice(-10), ...runtime.output.slice(-10)].join('\n')}`);
    });

    expect(done.keys).toBe(WRITES + 1);
    expect(done.resources).toBe(WRITES + 1);
    expect(done.counted).toBe(WRITES + 1); // the effect ran once per key, never twice
    expect(done.attempts).toBeGreaterThanOrEqual(WRITES + 1);
    const delivered = await hub.sql<{ resource: string }[]>`SELECT resource FROM bot_delivery_effects`;
    expect(new Set(delivered.map((row) => row.resource))).toEqual(new Set(created.map((id) => `Patient/${id}`)));
    expect(relay.starts).toBe(3);
    expect(runtime.starts).toBe(3);
    // Three starts of the runtime registered the bot once.
    expect(await hub.medplum.searchResources('Bot', {})).toHaveLength(1);
    expect(await hub.medplum.searchResources('Subscription', {})).toHaveLength(1);

    const bus = await Bus.connect(vhost.url, { logger: pino({ level: 'silent' }) });
    try {
      expect(await bus.listDead('bot.counter')).toEqual([]);
    } finally {
      await bus.close();
    }
    // For the report: how many deliveries arrived more than once and were absorbed by the key.
    process.stdout.write(`kill-restart: ${done.attempts - done.keys} duplicate arrival(s) absorbed; kills: ${kills.join(', ')}\n`);
  }, 120_000);
});
