import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RetryableError } from '@simpul/infra';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BotInvocation } from './bot-event.ts';
import { BotWorkerHost } from './bot-worker-host.ts';

const invocation = (id: string): BotInvocation => ({
  input: { resourceType: 'Patient', id },
  contentType: 'application/fhir+json',
  idempotencyKey: `key-${id}`,
  attempt: 1,
  traceId: 'trace',
  interaction: 'create',
  subscription: 'Subscription/s1',
  versionId: '1',
});

describe('BotWorkerHost', () => {
  let dir: string;
  const hosts: BotWorkerHost[] = [];
  const host = async (source: string) => {
    const file = join(dir, `bot-${hosts.length}.mjs`);
    await writeFile(file, source);
    const created = new BotWorkerHost({
      data: { name: `b${hosts.length}`, moduleUrl: pathToFileURL(file).href, bot: { reference: 'Bot/1' }, secrets: {}, hub: { baseUrl: 'http://127.0.0.1:9/' } },
      logger: pino({ level: 'silent' }),
    });
    hosts.push(created);
    return created;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simpul-bot-host-'));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await rm(dir, { recursive: true, force: true });
  });

  test('a module without a handler, or that does not parse, fails to start with the reason', async () => {
    await expect((await host('export const notAHandler = 1;')).start()).rejects.toThrow(/does not export a handler/);
    await expect((await host('export function handler( {')).start()).rejects.toThrow(/SyntaxError|Unexpected/);
  });

  test('a handler running past its timeout loses its thread; the next delivery gets a fresh one', async () => {
    const bot = await host(`export async function handler(medplum, event) {
      if (event.input.id === 'spin') for (;;) {}
      return { key: event.idempotencyKey, deleted: event.headers['x-medplum-deleted-resource'] ?? null };
    }`);
    await bot.start();
    const started = Date.now();
    const spinning = bot.invoke(invocation('spin'), 300);
    await expect(spinning).rejects.toThrow(RetryableError);
    await expect(spinning).rejects.toThrow(/SIMPUL-BOTS-103.*300 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(bot.invoke(invocation('fine'), 5000)).resolves.toBeUndefined();
    expect(bot.inFlight).toBe(0);
  });

  test('deliveries running on a thread that is stopped fail as retryable, not silently', async () => {
    const bot = await host(`export async function handler(medplum, event) {
      if (event.input.id === 'exit') { setTimeout(() => process.exit(7), 50); }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }`);
    await bot.start();
    const bystander = bot.invoke(invocation('slow'), 5000);
    const culprit = bot.invoke(invocation('exit'), 5000);
    await expect(bystander).rejects.toThrow(/SIMPUL-BOTS-105.*exit code 7/);
    await expect(culprit).rejects.toThrow(/SIMPUL-BOTS-105/);
    await expect(bot.invoke(invocation('after'), 5000)).resolves.toBeUndefined();
  });
});
