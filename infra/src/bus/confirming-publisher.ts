import type { Connection, Publisher, PublisherProps, ReturnedMessage } from 'rabbitmq-client';
import { AMQPError } from 'rabbitmq-client';
import { waitUntilReady, withTimeout } from './deadline.ts';
import type { AmqpHeaders } from './delivery-headers.ts';
import { BusError } from './errors.ts';

export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
  contentType: string;
  messageId?: string;
  correlationId?: string;
  headers?: AmqpHeaders;
  /** Reject with UNROUTABLE when no queue takes the message (instead of the broker dropping it). */
  mandatory: boolean;
}

export type PublisherDeclarations = Pick<PublisherProps, 'exchanges' | 'queues' | 'queueBindings'>;

interface ReturnWatch {
  returned: boolean;
}

/**
 * Persistent publishing with broker confirms: `send` resolves only once the broker has taken
 * responsibility for the message, and rejects on nack, on a mandatory message matching no queue,
 * and when the broker does not confirm within the timeout (so a caller never waits forever during
 * an outage). The underlying rabbitmq-client publisher re-declares the topology on every new
 * channel, i.e. after each reconnect; when the topology grows, a new publisher replaces the old
 * one, which is closed once its last confirm is in.
 */
export class ConfirmingPublisher {
  readonly #connection: Connection;
  readonly #timeoutMs: number;
  #current: Publisher;
  readonly #inFlight = new Map<Publisher, Set<Promise<unknown>>>();
  readonly #retiring = new Set<Promise<void>>();
  /** Keyed by messageId: the broker sends basic.return before the confirm of the same publish. */
  readonly #returnWatches = new Map<string, ReturnWatch[]>();
  #closed = false;

  constructor(connection: Connection, timeoutMs: number, declarations: PublisherDeclarations) {
    this.#connection = connection;
    this.#timeoutMs = timeoutMs;
    this.#current = this.#open(declarations);
  }

  /** Future channels declare `declarations` (the whole topology, not a delta). */
  redeclare(declarations: PublisherDeclarations): void {
    const previous = this.#current;
    this.#current = this.#open(declarations);
    this.#retire(previous);
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (this.#closed) throw new BusError('CLOSED', 'the bus is closed');
    const started = Date.now();
    if (!(await waitUntilReady(this.#connection, this.#timeoutMs))) {
      throw new BusError('NOT_READY', `not connected to RabbitMQ (or blocked by it) for ${this.#timeoutMs} ms; message ${message.messageId ?? '(no id)'} not published`);
    }
    const publisher = this.#current;
    const watchKey = message.messageId ?? '';
    const watch: ReturnWatch = { returned: false };
    this.#watch(watchKey, watch);
    const sending = publisher.send(
      {
        exchange: message.exchange,
        routingKey: message.routingKey,
        mandatory: message.mandatory,
        durable: true,
        contentType: message.contentType,
        messageId: message.messageId,
        correlationId: message.correlationId,
        headers: message.headers,
      },
      message.body,
    );
    // rabbitmq-client emits basic.return on setImmediate, after the confirm that follows it has
    // resolved; waiting one turn of the event loop lets it land before the watch is read.
    const settled = sending.finally(() => new Promise<void>((resolve) => setImmediate(resolve)));
    const tracked = this.#track(publisher, settled, () => this.#unwatch(watchKey, watch));
    const remaining = this.#timeoutMs - (Date.now() - started);
    try {
      await withTimeout(
        tracked,
        remaining,
        () => new BusError('PUBLISH_TIMEOUT', `RabbitMQ did not confirm message ${message.messageId ?? '(no id)'} within ${this.#timeoutMs} ms; it may still be delivered`),
      );
    } catch (error) {
      throw toPublishError(error, message);
    }
    if (watch.returned) {
      throw new BusError('UNROUTABLE', `no queue is bound to exchange "${message.exchange || '(default)'}" with routing key "${message.routingKey}"; message ${message.messageId ?? '(no id)'} was not stored`);
    }
  }

  /** Waits for outstanding confirms, then closes the channels. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#retire(this.#current);
    await Promise.all(this.#retiring);
  }

  #open(declarations: PublisherDeclarations): Publisher {
    const publisher = this.#connection.createPublisher({ confirm: true, maxAttempts: 1, ...declarations });
    publisher.on('basic.return', (returned: ReturnedMessage) => this.#onReturn(returned));
    this.#inFlight.set(publisher, new Set());
    return publisher;
  }

  #retire(publisher: Publisher): void {
    const pending = [...(this.#inFlight.get(publisher) ?? [])];
    const retiring = Promise.allSettled(pending)
      .then(() => publisher.close())
      // Closing a channel whose connection already dropped has nothing left to release.
      .catch(() => undefined)
      .finally(() => {
        this.#inFlight.delete(publisher);
        this.#retiring.delete(retiring);
      });
    this.#retiring.add(retiring);
  }

  #track(publisher: Publisher, sending: Promise<void>, onSettled: () => void): Promise<void> {
    const inFlight = this.#inFlight.get(publisher);
    const tracked = sending.finally(() => {
      onSettled();
      inFlight?.delete(tracked);
    });
    inFlight?.add(tracked);
    // Callers that timed out stopped listening; the settlement must not become an unhandled rejection.
    tracked.catch(() => undefined);
    return tracked;
  }

  #watch(key: string, watch: ReturnWatch): void {
    const watches = this.#returnWatches.get(key);
    if (watches) watches.push(watch);
    else this.#returnWatches.set(key, [watch]);
  }

  #unwatch(key: string, watch: ReturnWatch): void {
    const watches = this.#returnWatches.get(key);
    if (!watches) return;
    const index = watches.indexOf(watch);
    if (index >= 0) watches.splice(index, 1);
    if (watches.length === 0) this.#returnWatches.delete(key);
  }

  #onReturn(returned: ReturnedMessage): void {
    const pending = this.#returnWatches.get(returned.messageId ?? '')?.find((watch) => !watch.returned);
    if (pending) pending.returned = true;
  }
}

function toPublishError(error: unknown, message: OutgoingMessage): Error {
  if (error instanceof BusError) return error;
  const id = message.messageId ?? '(no id)';
  if (error instanceof AMQPError && error.code === 'NACK') {
    return new BusError('PUBLISH_NACKED', `RabbitMQ refused message ${id} (basic.nack)`, { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new BusError('PUBLISH_FAILED', `publishing message ${id} to exchange "${message.exchange || '(default)'}" failed: ${detail}`, { cause: error });
}
