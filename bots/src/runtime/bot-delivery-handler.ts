/**
 * Consumes `bot.<name>`: each message is one Subscription delivery for this bot.
 *
 * Runs the bot's handler in its worker thread with the delivery as a Medplum `BotEvent`, records
 * the attempt as an AuditEvent, and lets the bus retry (TTL queues, exponential by level, jitter
 * added here) or dead-letter a failure with its text. Deliveries about the same resource run one
 * at a time, in the order taken from the queue. Why a replay is harmless: the event carries
 * the envelope id as its idempotency key, the same on every retry, redelivery and replay, and
 * bots make their effects conditional on it (see `examples/idempotent-counter`).
 */
import type { Bot, Reference } from '@medplum/fhirtypes';
import type { Delivery, Envelope, EnvelopeHandler } from '@simpul/infra';
import type { BotInvocation } from './bot-event.ts';
import type { BotWorkerHost } from './bot-worker-host.ts';
import type { AttemptDeps } from './delivery-attempt.ts';
import { recordedAttempt } from './delivery-attempt.ts';
import { readDelivery, resourceReference } from './delivery-body.ts';
import { KeyedSerializer } from './keyed-serializer.ts';

export interface BotDeliverySettings {
  name: string;
  bot: Reference<Bot>;
  worker: Pick<BotWorkerHost, 'invoke'>;
  timeoutMs: number;
  retryDelaysMs: readonly number[];
}

export function botDeliveryHandler(deps: AttemptDeps, settings: BotDeliverySettings): EnvelopeHandler {
  const destination = { kind: 'bot' as const, name: settings.name, bot: settings.bot };
  const inOrder = new KeyedSerializer();
  return async (envelope: Envelope, delivery: Delivery) => {
    const body = readDelivery(envelope);
    const invocation: BotInvocation = {
      input: body.resource ?? null,
      contentType: envelope.contentType,
      idempotencyKey: envelope.id,
      attempt: delivery.attempt,
      traceId: envelope.traceId,
      interaction: body.interaction,
      subscription: body.subscription,
      versionId: body.versionId,
    };
    const key = `${body.subscription}|${resourceReference(envelope, body) ?? envelope.id}`;
    await inOrder.run(key, () =>
      recordedAttempt(deps, { label: settings.name, destination, retryDelaysMs: settings.retryDelaysMs }, envelope, delivery, body, () =>
        settings.worker.invoke(invocation, settings.timeoutMs),
      ),
    );
  };
}
