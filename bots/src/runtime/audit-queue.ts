/**
 * The delivery audit trail goes through its own queue, `bots.audit`, so that recording an attempt
 * costs a confirmed publish (a millisecond) instead of a hub write on the delivery's path.
 *
 * Producer: every delivery attempt records its AuditEvent (with its own id); attempts recorded
 * within a few milliseconds share one message. An attempt is acknowledged only after RabbitMQ
 * confirmed that message: nothing is acknowledged unaudited.
 * Consumer: writes them to the hub in batches (`AuditBatchWriter`); a failure retries through the
 * queue's TTL levels and finally lands in `bots.audit.dead` for replay.
 * Why a replay is harmless: each AuditEvent is PUT to its own id, so a second copy is a second
 * version of the same AuditEvent, not another one.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import type { Bus, EnvelopeHandler } from '@simpul/infra';
import { newEnvelope, PermanentError } from '@simpul/infra';
import type { AuditBatchWriter } from './audit-batch-writer.ts';

export const AUDIT_QUEUE = 'bots.audit';
export const AUDIT_RETRY_DELAYS_MS: readonly number[] = [1_000, 10_000, 60_000, 300_000];
/** About an hour and a half of retries (the last level repeats) before an AuditEvent is dead-lettered. */
export const AUDIT_MAX_ATTEMPTS = 20;

/** What a delivery attempt records through. */
export interface AuditSink {
  record(event: AuditEvent): Promise<void>;
}

/**
 * Publishes the AuditEvents recorded within a few milliseconds as one message (a collection
 * Bundle): one confirmed publish per batch rather than per attempt, since every message on a
 * quorum queue costs a replicated, fsynced log write.
 */
export class AuditPublisher implements AuditSink {
  readonly #bus: Pick<Bus, 'publish'>;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  #pending: { event: AuditEvent; resolve(): void; reject(error: Error): void }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(bus: Pick<Bus, 'publish'>, options: { maxBatch?: number; maxDelayMs?: number } = {}) {
    this.#bus = bus;
    this.#maxBatch = options.maxBatch ?? 50;
    this.#maxDelayMs = options.maxDelayMs ?? 5;
  }

  /** Resolves once RabbitMQ confirmed the AuditEvent is stored in `bots.audit`. */
  record(event: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ event: { ...event, id: randomUUID() }, resolve, reject });
      if (this.#pending.length >= this.#maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#maxDelayMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: batch.map(({ event }) => ({ resource: event })) };
    const envelope = newEnvelope({ kind: 'event', source: 'simpul-bots', contentType: 'application/fhir+json', body: bundle });
    this.#bus.publish('', AUDIT_QUEUE, envelope).then(
      () => batch.forEach((waiting) => waiting.resolve()),
      (error: unknown) => batch.forEach((waiting) => waiting.reject(error instanceof Error ? error : new Error(String(error)))),
    );
  }
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Consumes `bots.audit`: a message that is not a Bundle of AuditEvents with ids is dead-lettered at once. */
export function auditQueueHandler(writer: Pick<AuditBatchWriter, 'store'>): EnvelopeHandler {
  return async (envelope) => {
    const bundle = envelope.body as Bundle | null;
    const events = typeof bundle === 'object' && bundle !== null && bundle.resourceType === 'Bundle' && Array.isArray(bundle.entry) ? bundle.entry.map((entry) => entry?.resource) : undefined;
    if (!events || events.length === 0 || !events.every(isStorableAuditEvent)) {
      throw new PermanentError('not a Bundle of AuditEvents with ids');
    }
    await Promise.all(events.map((event) => writer.store(event)));
  };
}

function isStorableAuditEvent(resource: unknown): resource is AuditEvent & { id: string } {
  const event = resource as { resourceType?: unknown; id?: unknown } | null | undefined;
  return typeof event === 'object' && event !== null && event.resourceType === 'AuditEvent' && typeof event.id === 'string' && FHIR_ID.test(event.id);
}
