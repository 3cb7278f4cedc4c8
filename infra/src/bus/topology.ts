import { BusError } from './errors.ts';

/**
 * The exchanges and queues of DESIGN.md "The bus". Everything is durable; work and dead-letter
 * queues are quorum queues. A work queue `Q` comes with:
 * - `Q.retry.<n>` (n = 1..levels): quorum queues with a per-queue TTL whose dead-letter target is
 *   `Q` again (default exchange, routing key `Q`), so an expired message goes back to work;
 * - `Q.dead`: where a message lands after its last attempt, or at once on a permanent error.
 * `Q` itself dead-letters to `Q.dead` too, so a message the broker gives up on (delivery limit
 * reached because consumers keep crashing on it) is kept, not dropped. Dead-lettering uses the
 * at-least-once strategy, so a crash of the broker mid-move loses nothing.
 */
export const EXCHANGES = { ingest: 'simpul.ingest', events: 'simpul.events', deliveries: 'simpul.deliveries' } as const;
export const INGEST_QUEUE = 'ingest';
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 10_000, 60_000, 300_000];
/** Deliveries of one message to crashing consumers before RabbitMQ moves it to `.dead` itself. */
export const DEFAULT_DELIVERY_LIMIT = 20;

const MAX_RETRY_LEVELS = 20;
const DEAD_QUEUE_DELIVERY_LIMIT = 1_000_000_000;
const MAX_TTL_MS = 2_147_483_647;
const MAX_QUEUE_NAME_BYTES = 255;
const BOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export type ExchangeType = 'topic' | 'direct' | 'fanout' | 'headers';

export interface ExchangeSpec {
  name: string;
  type: ExchangeType;
}

export interface BindingSpec {
  exchange: string;
  routingKey: string;
}

export interface QueueSpec {
  name: string;
  arguments: Record<string, string | number | boolean>;
  bindings: BindingSpec[];
  /** Set on work queues: how many `.retry.<n>` queues they have (0 = failures go straight to `.dead`). */
  retryLevels?: number;
}

export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
}

/** What `declareTopology` needs of a bus (the `Bus` class has it). */
export interface TopologyTarget {
  declare(topology: Topology): Promise<void>;
}

export function retryQueueName(queue: string, level: number): string {
  return `${queue}.retry.${level}`;
}

export function deadQueueName(queue: string): string {
  return `${queue}.dead`;
}

export function botQueueName(bot: string): string {
  return `bot.${bot}`;
}

export interface WorkQueueOptions {
  bindings?: BindingSpec[];
  /** One retry level per entry: how long a failed message waits before its next attempt. */
  retryDelaysMs: readonly number[];
  deliveryLimit?: number;
  /**
   * Only one consumer receives at a time (others wait as hot standbys): with in-process per-key
   * serialisation this keeps per-patient order across several worker replicas.
   */
  singleActiveConsumer?: boolean;
}

/** A work queue with its retry queues and its dead-letter queue, for any consumer that wants the contract. */
export function workQueueSpecs(name: string, options: WorkQueueOptions): QueueSpec[] {
  assertQueueName(name, Buffer.byteLength(retryQueueName('', MAX_RETRY_LEVELS)));
  assertRetryDelays(options.retryDelaysMs);
  const deliveryLimit = options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
  if (!Number.isSafeInteger(deliveryLimit) || deliveryLimit < 1) {
    throw new BusError('INVALID_ARGUMENT', `deliveryLimit must be a positive integer, got ${String(deliveryLimit)}`);
  }
  const work: QueueSpec = {
    name,
    arguments: {
      ...quorum(),
      ...deadLetterTo(deadQueueName(name)),
      'x-delivery-limit': deliveryLimit,
      ...(options.singleActiveConsumer ? { 'x-single-active-consumer': true } : {}),
    },
    bindings: options.bindings ?? [],
    retryLevels: options.retryDelaysMs.length,
  };
  const retries = options.retryDelaysMs.map(
    (delayMs, index): QueueSpec => ({
      name: retryQueueName(name, index + 1),
      arguments: { ...quorum(), ...deadLetterTo(name), 'x-message-ttl': delayMs },
      bindings: [],
    }),
  );
  const dead: QueueSpec = {
    name: deadQueueName(name),
    // Listing dead letters returns them with nack+requeue, which counts as a delivery; RabbitMQ 4
    // quorum queues drop a message after 20 of those by default. Make that limit unreachable.
    arguments: { ...quorum(), 'x-delivery-limit': DEAD_QUEUE_DELIVERY_LIMIT },
    bindings: [],
  };
  return [work, ...retries, dead];
}

export interface TopologyOptions {
  /** One `bot.<name>` work queue each, bound to `simpul.deliveries` with routing key `<name>`. */
  bots: readonly string[];
  /** Retry levels of the bot queues. Default `DEFAULT_RETRY_DELAYS_MS` (1 s, 10 s, 60 s, 5 min). */
  retryDelaysMs?: readonly number[];
  /**
   * Make `ingest` single-active-consumer so that several worker replicas keep per-patient order
   * (one receives, the others stand by). Off by default: RabbitMQ then refuses basic.get on it.
   */
  ingestSingleActiveConsumer?: boolean;
  /** Retry levels of the `ingest` queue. Default: the same as `retryDelaysMs`. */
  ingestRetryDelaysMs?: readonly number[];
  deliveryLimit?: number;
}

export function buildTopology(options: TopologyOptions): Topology {
  if (!Array.isArray(options.bots)) throw new BusError('INVALID_ARGUMENT', 'bots must be a list of bot names');
  const seen = new Set<string>();
  for (const bot of options.bots) {
    if (typeof bot !== 'string' || !BOT_NAME.test(bot)) {
      throw new BusError('INVALID_ARGUMENT', `bot name ${JSON.stringify(bot)} must be 1-100 letters, digits, "-" or "_"`);
    }
    if (seen.has(bot)) throw new BusError('INVALID_ARGUMENT', `bot "${bot}" is listed twice`);
    seen.add(bot);
  }
  const retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const deliveryLimit = options.deliveryLimit;
  return {
    exchanges: [
      { name: EXCHANGES.ingest, type: 'topic' },
      { name: EXCHANGES.events, type: 'topic' },
      { name: EXCHANGES.deliveries, type: 'direct' },
    ],
    queues: [
      ...workQueueSpecs(INGEST_QUEUE, {
        bindings: [{ exchange: EXCHANGES.ingest, routingKey: '#' }],
        retryDelaysMs: options.ingestRetryDelaysMs ?? retryDelaysMs,
        deliveryLimit,
        singleActiveConsumer: options.ingestSingleActiveConsumer ?? false,
      }),
      ...options.bots.flatMap((bot) =>
        workQueueSpecs(botQueueName(bot), {
          bindings: [{ exchange: EXCHANGES.deliveries, routingKey: bot }],
          retryDelaysMs,
          deliveryLimit,
        }),
      ),
    ],
  };
}

/** Declares the Simpul topology now and whenever the bus reconnects. Returns what was declared. */
export async function declareTopology(bus: TopologyTarget, options: TopologyOptions): Promise<Topology> {
  const topology = buildTopology(options);
  await bus.declare(topology);
  return topology;
}

/** `suffixBytes`: room kept for the `.retry.<n>` / `.dead` names derived from it. */
export function assertQueueName(name: unknown, suffixBytes = 0): asserts name is string {
  const maxBytes = MAX_QUEUE_NAME_BYTES - suffixBytes;
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > maxBytes) {
    throw new BusError('INVALID_ARGUMENT', `queue name ${JSON.stringify(name)} must be 1-${maxBytes} bytes`);
  }
  if (name.startsWith('amq.')) throw new BusError('INVALID_ARGUMENT', `queue name "${name}" uses the reserved "amq." prefix`);
}

function assertRetryDelays(delays: readonly number[]): void {
  if (!Array.isArray(delays)) throw new BusError('INVALID_ARGUMENT', 'retryDelaysMs must be a list of milliseconds');
  if (delays.length > MAX_RETRY_LEVELS) {
    throw new BusError('INVALID_ARGUMENT', `retryDelaysMs has ${delays.length} levels; at most ${MAX_RETRY_LEVELS}`);
  }
  for (const delay of delays) {
    if (!Number.isSafeInteger(delay) || delay < 1 || delay > MAX_TTL_MS) {
      throw new BusError('INVALID_ARGUMENT', `retry delay ${String(delay)} must be a whole number of milliseconds from 1 to ${MAX_TTL_MS}`);
    }
  }
}

function quorum(): Record<string, string> {
  return { 'x-queue-type': 'quorum' };
}

function deadLetterTo(queue: string): Record<string, string> {
  return {
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
    'x-dead-letter-strategy': 'at-least-once',
    // at-least-once dead-lettering requires it; without a length limit it never rejects anything.
    'x-overflow': 'reject-publish',
  };
}
