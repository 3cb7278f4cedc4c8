/**
 * Consumes `bot.rest-hook`: deliveries of Subscriptions whose channel is `rest-hook` with a URL
 * endpoint (the hub routes every such delivery here).
 *
 * For each: reads the Subscription (cached briefly), POSTs the notification (headers, payload,
 * HMAC signature), records the attempt as an AuditEvent. Failures retry on the `restHook`
 * schedule (or the Subscription's own `subscription-max-attempts`); when a delivery fails for the
 * last time the Subscription goes to `status: error` with the reason, and the delivery waits in
 * `bot.rest-hook.dead`. A later success (a replay once the endpoint healed) sets it back to
 * `active`. Deliveries about the same resource for the same Subscription go out one at a time, in
 * the order taken from the queue. Why a replay is harmless: every request carries the same `Idempotency-Key`.
 */
import type { Delivery, Envelope, EnvelopeHandler } from '@simpul/infra';
import { PermanentError } from '@simpul/infra';
import type { Logger } from 'pino';
import { DeliveryFailure, permanentFailure } from '../errors.ts';
import type { AttemptDeps, AttemptNotes } from '../runtime/delivery-attempt.ts';
import { recordedAttempt } from '../runtime/delivery-attempt.ts';
import { fhirString } from '../runtime/delivery-audit.ts';
import type { DeliveryBody } from '../runtime/delivery-body.ts';
import { readDelivery, resourceReference } from '../runtime/delivery-body.ts';
import { KeyedSerializer } from '../runtime/keyed-serializer.ts';
import { thrownText } from '../runtime/worker-protocol.ts';
import { buildNotification, subscriptionMaxAttempts } from './notification.ts';
import { sendNotification } from './send-notification.ts';
import type { SubscriptionReader } from './subscription-reader.ts';

export const REST_HOOK_LABEL = 'rest-hook';

export interface RestHookSettings {
  timeoutMs: number;
  maxRetryAfterWaitMs: number;
  retryDelaysMs: readonly number[];
}

export function restHookHandler(deps: AttemptDeps, subscriptions: SubscriptionReader, settings: RestHookSettings): EnvelopeHandler {
  const inOrder = new KeyedSerializer();
  return async (envelope: Envelope, delivery: Delivery) => {
    const body = readDelivery(envelope);
    const setup = { label: REST_HOOK_LABEL, destination: { kind: 'rest-hook' as const, endpoint: '' }, retryDelaysMs: settings.retryDelaysMs };
    const key = `${body.subscription}|${resourceReference(envelope, body) ?? envelope.id}`;
    await inOrder.run(key, () =>
      recordedAttempt(deps, setup, envelope, delivery, body, (notes) => notify(envelope, delivery, body, notes, { deps, subscriptions, settings })),
    );
  };
}

interface NotifyContext {
  deps: AttemptDeps;
  subscriptions: SubscriptionReader;
  settings: RestHookSettings;
}

/** One attempt: read the Subscription, send, and on the last failure set the Subscription to error. */
async function notify(envelope: Envelope, delivery: Delivery, body: DeliveryBody, notes: AttemptNotes, context: NotifyContext): Promise<void> {
  const { deps, subscriptions, settings } = context;
  const id = body.subscription.slice('Subscription/'.length);
  const subscription = await subscriptions.read(id);
  if (!subscription) {
    notes.outcome = 'skipped';
    notes.detail = `${body.subscription} no longer exists; nothing to deliver to`;
    return;
  }
  notes.destination = { kind: 'rest-hook', endpoint: subscription.channel?.endpoint ?? '' };
  if (subscription.status === 'off') {
    notes.outcome = 'skipped';
    notes.detail = `${body.subscription} is off`;
    return;
  }
  try {
    const notification = buildNotification(subscription, body, { id: envelope.id, traceId: envelope.traceId, resource: resourceReference(envelope, body) });
    const result = await sendNotification(notification, settings);
    notes.detail = `HTTP ${result.status}${result.waitedMs > 0 ? ` after waiting ${result.waitedMs} ms (Retry-After)` : ''}`;
  } catch (error) {
    const ownLimit = subscriptionMaxAttempts(subscription) ?? Number.POSITIVE_INFINITY;
    const last = error instanceof PermanentError || delivery.attempt >= Math.min(delivery.maxAttempts, ownLimit);
    if (!last) throw error;
    const reason = `delivery ${envelope.id} failed after ${delivery.attempt} attempt(s): ${thrownText(error)}`;
    await markError(subscriptions, id, reason, deps.logger);
    if (error instanceof PermanentError || delivery.attempt >= delivery.maxAttempts) throw error;
    // The Subscription's own limit is lower than the queue's: dead-letter now, not later.
    throw permanentFailure(DeliveryFailure.ENDPOINT_FAILED, `${thrownText(error)} (attempt ${delivery.attempt}, the last one)`, error);
  }
  if (subscription.status === 'error') await markActive(subscriptions, id, deps.logger);
}

/** The delivery's own fate is settled (dead-lettered); a Subscription that could not be marked is logged loudly, not retried. */
async function markError(subscriptions: SubscriptionReader, id: string, reason: string, logger: Logger): Promise<void> {
  try {
    await subscriptions.markError(id, fhirString(reason));
  } catch (error) {
    logger.error({ subscription: id, err: error }, 'a rest-hook delivery was dead-lettered but its Subscription could not be set to error');
  }
}

async function markActive(subscriptions: SubscriptionReader, id: string, logger: Logger): Promise<void> {
  try {
    await subscriptions.markActive(id);
  } catch (error) {
    logger.error({ subscription: id, err: error }, 'a rest-hook delivery got through but its Subscription could not be set back to active');
  }
}
