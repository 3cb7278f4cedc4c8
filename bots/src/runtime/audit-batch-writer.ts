import type { AuditEvent, Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { HubClient } from './hub-client.ts';

export interface AuditBatchWriterOptions {
  hub: HubClient;
  /** AuditEvents written in one request, at most. Default 100. */
  maxBatch?: number;
  /** How long the first AuditEvent of a batch waits for company. Default 20 ms. */
  maxDelayMs?: number;
  /** Batches written at once. Default 1: audit writes take a bounded share of the hub (see below). */
  maxInFlight?: number;
}

interface Waiting {
  event: AuditEvent & { id: string };
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Stores delivery AuditEvents in the hub, many per request: one transaction Bundle (one commit)
 * for everything that arrived within a few milliseconds. Each event is a PUT to its own id, so
 * storing one twice (a redelivered audit message) leaves one AuditEvent, not two. If the
 * transaction is refused, the same events are sent again as a batch Bundle, so one bad event
 * fails alone. `store` resolves only once the hub has the event.
 *
 * One batch at a time by default: storing an AuditEvent costs the hub about as much as any other
 * create, so with several batches in flight a burst of deliveries would take the hub's capacity
 * from the clinical writes that caused it. With one, the audit trail takes a bounded share, trails
 * the deliveries during a burst (the rest waits, durable, in `bots.audit`) and catches up after.
 */
export class AuditBatchWriter {
  readonly #hub: HubClient;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #maxInFlight: number;
  #queue: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #writing = new Set<Promise<void>>();

  constructor(options: AuditBatchWriterOptions) {
    this.#hub = options.hub;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#maxDelayMs = options.maxDelayMs ?? 20;
    this.#maxInFlight = options.maxInFlight ?? 1;
  }

  store(event: AuditEvent & { id: string }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (this.#queue.length >= this.#maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#maxDelayMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0 || this.#writing.size >= this.#maxInFlight) return;
    const batch = this.#queue.splice(0, this.#maxBatch);
    const writing = this.#write(batch).finally(() => {
      this.#writing.delete(writing);
      // What queued up meanwhile goes next, without waiting for more company.
      if (this.#queue.length > 0) this.#flush();
    });
    this.#writing.add(writing);
  }

  /** Writes what is waiting and waits until everything is written. */
  async close(): Promise<void> {
    while (this.#queue.length > 0 || this.#writing.size > 0) {
      this.#flush();
      await Promise.allSettled([...this.#writing]);
    }
  }

  async #write(batch: Waiting[]): Promise<void> {
    const entries: BundleEntry[] = batch.map(({ event }) => ({ resource: event, request: { method: 'PUT', url: `AuditEvent/${event.id}` } }));
    try {
      const medplum = await this.#hub.ready();
      await medplum.executeBatch({ resourceType: 'Bundle', type: 'transaction', entry: entries });
      for (const waiting of batch) waiting.resolve();
      return;
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(new Error(`the hub did not store the AuditEvent: ${(error as Error).message}`, { cause: error }));
        return;
      }
    }
    await this.#writeOneByOne(batch, entries);
  }

  /** The transaction was refused: find out which entries the hub will not take. */
  async #writeOneByOne(batch: Waiting[], entries: BundleEntry[]): Promise<void> {
    let response: Bundle;
    try {
      const medplum = await this.#hub.ready();
      response = await medplum.executeBatch({ resourceType: 'Bundle', type: 'batch', entry: entries });
    } catch (error) {
      const failure = new Error(`the hub did not store ${batch.length} AuditEvent(s): ${(error as Error).message}`, { cause: error });
      for (const waiting of batch) waiting.reject(failure);
      return;
    }
    batch.forEach((waiting, index) => {
      const status = response.entry?.[index]?.response?.status ?? '';
      if (/^2\d\d/.test(status)) {
        waiting.resolve();
        return;
      }
      const outcome = response.entry?.[index]?.response?.outcome;
      const text = outcome?.issue?.map((issue) => issue.details?.text ?? issue.diagnostics ?? issue.code).join('; ');
      waiting.reject(new Error(`the hub refused AuditEvent/${waiting.event.id} (${status || 'no status'}): ${text ?? 'no details'}`));
    });
  }
}
