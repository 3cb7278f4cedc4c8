import type { BusLogger } from './bus-logger.ts';
import type { DeadLetter, ListDeadOptions, ReplayDeadOptions } from './dead-letters.ts';
import type { Envelope } from './envelope.ts';
import type { EnvelopeHandler } from './subscription.ts';
import type { Topology } from './topology.ts';

/**
 * The bus contract every Simpul part codes against (DESIGN.md "The bus"). Two implementations
 * keep it: `RabbitBus` (RabbitMQ, `amqp://`) and `DbBus` (durable tables in PostgreSQL,
 * `postgres://`, the appliance default). `Bus.connect(url)` picks one by the URL's scheme;
 * `infra/test/bus-contract.test.ts` runs the same cases against both.
 */
export interface MessageBus {
  /** Declares exchanges, queues and bindings (idempotent; a queue re-declared with other arguments is DECLARE_FAILED). */
  declare(topology: Topology): Promise<void>;
  /** Resolves only once the message is durably stored in every queue it routes to. */
  publish(exchange: string, routingKey: string, envelope: Envelope, options?: PublishOptions): Promise<void>;
  /** Consumes `queue` with manual acknowledgement until the subscription or the bus is closed. */
  consume<TBody = unknown>(queue: string, handler: EnvelopeHandler<TBody>, options: ConsumeOptions): Promise<BusSubscription>;
  /** Ready messages in `queue` (messages held by a consumer not counted). QUEUE_NOT_FOUND if it does not exist. */
  queueDepth(queue: string): Promise<number>;
  /** Up to `limit` messages of `<queue>.dead`, not removed. */
  listDead(queue: string, options?: ListDeadOptions): Promise<DeadLetter[]>;
  /** Moves messages from `<queue>.dead` back to `<queue>` (same body and envelope id, fresh attempts). Returns how many. */
  replayDead(queue: string, options?: ReplayDeadOptions): Promise<number>;
  /** Connected and not closed, as far as this process knows. */
  isReady(): boolean;
  /** A round trip to the broker or database; rejects with CHECK_FAILED / NOT_READY. */
  check(): Promise<void>;
  /** Stop consuming, let running handlers finish, close. */
  close(): Promise<void>;
}

/** One consumer of one queue. */
export interface BusSubscription {
  readonly queue: string;
  /** Handlers running right now. */
  readonly inFlight: number;
  /** Stops taking messages, waits for running handlers; messages taken but not started go back to the queue. */
  close(): Promise<void>;
}

export interface BusOptions {
  logger?: BusLogger;
  /** Shown by RabbitMQ (client properties) or PostgreSQL (`application_name`). */
  connectionName?: string;
  /** How long `publish` waits for the broker's confirm (or the database commit) before rejecting. Default 5000. */
  publishTimeoutMs?: number;
  /** How long `Bus.connect` waits for the first connection. Default 10000. */
  connectTimeoutMs?: number;
  /** How long `check()` waits for a round trip. Default 2000. */
  checkTimeoutMs?: number;
  /** RabbitMQ reconnection backoff (exponential with jitter) between these bounds. Defaults 1000 and 30000. */
  reconnectMinDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /**
   * Database bus only: how long a consumer holds a message it took before another consumer may
   * take it (renewed while the handler runs, so only a crashed consumer's messages come back).
   * Default 30000.
   */
  leaseMs?: number;
  /** Database bus only: how often an idle consumer looks for due messages besides LISTEN/NOTIFY wake-ups. Default 1000. */
  pollIntervalMs?: number;
}

export interface PublishOptions {
  /** Reject with UNROUTABLE when no queue is bound for the routing key. Default true: a message
   *  nobody stores is not safe, so a sender must not be acknowledged. Pass false for fan-out
   *  notifications (`simpul.events`) that may legitimately have no listener. */
  mandatory?: boolean;
}

export interface ConsumeOptions {
  /** Unacknowledged deliveries this consumer holds at once (1-65535). */
  prefetch: number;
  /** Handlers running at once. Default: `prefetch`. */
  concurrency?: number;
  /** Attempts before dead-lettering, first one included. Default: retry levels + 1. Attempts past
   *  the last level wait for the last level's delay again. */
  maxAttempts?: number;
  /** Pause before handing a message back when it could not be moved to a retry/dead queue. Default 1000. */
  requeueDelayMs?: number;
}
