import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '@medplum/fhirtypes';
import { parseConfig } from '@simpul/infra';
import type { SimpulConfigInput } from '@simpul/infra';
import pino from 'pino';
import { startBotRuntime, type BotRuntime } from '../../src/index.ts';
import type { BotsTestHub } from './test-hub.ts';

export const BEHAVIOUR_BOT = fileURLToPath(new URL('./bots/behaviour-bot.ts', import.meta.url));

/** Starts the runtime against a test hub and vhost with the given `bots:` section (runtime client added). */
export async function startRuntime(hub: BotsTestHub, busUrl: string, bots: NonNullable<SimpulConfigInput['bots']>): Promise<BotRuntime> {
  const runtimeClient = await hub.client('bots runtime');
  const config = parseConfig({
    hub: { baseUrl: hub.url },
    bus: { url: busUrl, prefetch: 8 },
    bots: { clientId: runtimeClient.clientId, clientSecret: runtimeClient.clientSecret, ...bots },
  });
  const runtime = await startBotRuntime({ config, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), registrationTimeoutMs: 10_000 });
  await hub.subscriptionsLive(runtime.bots.flatMap((bot) => bot.subscriptionIds));
  return runtime;
}

/** AuditEvents of one delivery (by idempotency key), in attempt order. */
export async function auditsOf(hub: BotsTestHub, entity: string, idempotencyKey: string): Promise<AuditEvent[]> {
  const events = await hub.medplum.searchResources('AuditEvent', { entity, _count: '100' });
  return events
    .filter((event) => event.entity?.some((e) => e.detail?.some((d) => d.type === 'idempotency-key' && d.valueString === idempotencyKey)))
    .sort((a, b) => attemptOf(a) - attemptOf(b));
}

export function attemptOf(event: AuditEvent): number {
  const text = event.entity?.flatMap((e) => e.detail ?? []).find((d) => d.type === 'attempt')?.valueString ?? '0';
  return Number.parseInt(text, 10);
}

/** Polls `probe` until it returns a value that is not undefined. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
