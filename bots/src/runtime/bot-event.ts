import type { BotEvent, MedplumClient } from '@medplum/core';
import type { Bot, ProjectSetting, Reference, Resource } from '@medplum/fhirtypes';
import type { DeliveryInteraction } from './delivery-body.ts';

/**
 * What a Simpul bot receives: Medplum's `BotEvent` (so a bot written for Medplum runs here and the
 * reverse), plus the delivery facts a bot needs to be idempotent. The idempotency key is the
 * envelope id: the same on every retry, every redelivery after a crash and every replay.
 */
export interface SimpulBotEvent<T = Resource> extends BotEvent<T> {
  /** The delivery's idempotency key; also in `headers['idempotency-key']` for code written against Medplum. */
  readonly idempotencyKey: string;
  /** 1 on the first try. */
  readonly attempt: number;
  readonly interaction: DeliveryInteraction;
  /** `Subscription/<id>` that matched. */
  readonly subscription: string;
  /** The version of the resource this delivery is about. */
  readonly versionId: string;
  readonly headers: Record<string, string>;
}

/** The export every bot module has: `export async function handler(medplum, event) { ... }`. */
export type BotHandler<T = Resource> = (medplum: MedplumClient, event: SimpulBotEvent<T>) => unknown;

/** One delivery as it crosses to the bot's worker thread (plain data, structured-clone safe). */
export interface BotInvocation {
  input: Resource | null;
  contentType: string;
  idempotencyKey: string;
  attempt: number;
  traceId: string;
  interaction: DeliveryInteraction;
  subscription: string;
  versionId: string;
}

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Medplum passes project secrets as ProjectSettings; config secrets become `valueString` ones. */
export function botSecrets(secrets: Readonly<Record<string, string>>): Record<string, ProjectSetting> {
  return Object.fromEntries(Object.entries(secrets).map(([name, value]) => [name, { name, valueString: value }]));
}

export function buildBotEvent(invocation: BotInvocation, bot: Reference<Bot>, secrets: Record<string, ProjectSetting>): SimpulBotEvent {
  const headers: Record<string, string> = {
    [IDEMPOTENCY_KEY_HEADER]: invocation.idempotencyKey,
    'x-trace-id': invocation.traceId,
    'x-simpul-subscription': invocation.subscription,
    'x-simpul-interaction': invocation.interaction,
  };
  const input = invocation.input;
  if (invocation.interaction === 'delete' && input?.id) {
    // Medplum's marker for a subscription fired by a delete.
    headers['x-medplum-deleted-resource'] = `${input.resourceType}/${input.id}`;
  }
  return {
    bot,
    contentType: invocation.contentType,
    input: input as Resource,
    secrets,
    traceId: invocation.traceId,
    headers,
    idempotencyKey: invocation.idempotencyKey,
    attempt: invocation.attempt,
    interaction: invocation.interaction,
    subscription: invocation.subscription,
    versionId: invocation.versionId,
  };
}
