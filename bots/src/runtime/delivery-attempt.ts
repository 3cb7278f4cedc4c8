import { setTimeout as sleep } from 'node:timers/promises';
import type { Delivery, Envelope } from '@simpul/infra';
import { PermanentError } from '@simpul/infra';
import type { Logger } from 'pino';
import { DeliveryFailure, retryableFailure } from '../errors.ts';
import type { AuditSink } from './audit-queue.ts';
import type { BotMetrics } from './bot-metrics.ts';
import type { DeliveryBody } from './delivery-body.ts';
import { resourceReference } from './delivery-body.ts';
import type { AttemptOutcome, DeliveryAttempt } from './delivery-audit.ts';
import { buildDeliveryAuditEvent } from './delivery-audit.ts';
import { retryJitterMs } from './retry-jitter.ts';
import { thrownText } from './worker-protocol.ts';

export interface AttemptDeps {
  audit: AuditSink;
  metrics: BotMetrics;
  logger: Logger;
}

/** What the work of one attempt tells the record about itself. */
export interface AttemptNotes {
  /** Who delivered: the bot, or the endpoint a rest-hook called (known once the Subscription is read). */
  destination: DeliveryAttempt['destination'];
  /** Set to 'skipped' when nothing was delivered on purpose. */
  outcome?: 'success' | 'skipped';
  detail?: string;
}

export interface AttemptSetup {
  /** Metrics label: the bot name, or `rest-hook`. */
  label: string;
  destination: DeliveryAttempt['destination'];
  retryDelaysMs: readonly number[];
}

/**
 * Runs one delivery attempt and records it: waits the retry jitter, runs `work`, records the
 * attempt's AuditEvent (and waits until that record is durable, so nothing is acknowledged
 * unaudited), counts it, and rethrows a failure for the bus to retry or dead-letter.
 */
export async function recordedAttempt(
  deps: AttemptDeps,
  setup: AttemptSetup,
  envelope: Envelope,
  delivery: Delivery,
  body: DeliveryBody,
  work: (notes: AttemptNotes) => Promise<void>,
): Promise<void> {
  if (delivery.attempt === 1 && !delivery.redelivered) deps.metrics.received(setup.label);
  const jitter = retryJitterMs(delivery.attempt, setup.retryDelaysMs);
  if (jitter > 0) await sleep(jitter);

  const notes: AttemptNotes = { destination: setup.destination };
  const start = new Date();
  let failed = false;
  let failure: unknown;
  try {
    await work(notes);
  } catch (error) {
    failed = true; // even `throw undefined` is a failure
    failure = error;
  }
  const end = new Date();
  const outcome: AttemptOutcome = failed
    ? failure instanceof PermanentError || delivery.attempt >= delivery.maxAttempts
      ? 'dead-lettered'
      : 'retrying'
    : (notes.outcome ?? 'success');
  const record: DeliveryAttempt = {
    destination: notes.destination,
    subscription: body.subscription,
    resource: resourceReference(envelope, body),
    versionId: body.versionId,
    interaction: body.interaction,
    idempotencyKey: envelope.id,
    traceId: envelope.traceId,
    attempt: delivery.attempt,
    maxAttempts: delivery.maxAttempts,
    outcome,
    detail: failed ? thrownText(failure) : notes.detail,
    start,
    end,
  };
  try {
    await deps.audit.record(buildDeliveryAuditEvent(record));
  } catch (auditError) {
    deps.metrics.auditFailed(setup.label);
    deps.logger.error({ bot: setup.label, messageId: envelope.id, traceId: envelope.traceId, err: auditError }, 'delivery AuditEvent not recorded');
    if (!failed) {
      throw retryableFailure(DeliveryFailure.AUDIT_NOT_RECORDED, `delivered, but its AuditEvent could not be recorded: ${(auditError as Error).message}`, auditError);
    }
  }
  const lagSeconds = (end.getTime() - Date.parse(envelope.receivedAt)) / 1000;
  deps.metrics.attempt(setup.label, outcome, (end.getTime() - start.getTime()) / 1000, lagSeconds);
  if (failed) throw failure;
}
