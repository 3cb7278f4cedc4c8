/**
 * AMQP headers the bus writes on messages it moves between a work queue, its retry queues and its
 * dead-letter queue. The envelope in the body is never changed on the way, so its id stays the
 * idempotency key.
 */
export const ATTEMPTS_HEADER = 'x-simpul-attempts';
export const LAST_ERROR_HEADER = 'x-simpul-last-error';
export const DEAD_REASON_HEADER = 'x-simpul-dead-reason';
export const DEAD_AT_HEADER = 'x-simpul-dead-at';
export const ORIGIN_QUEUE_HEADER = 'x-simpul-queue';
export const REPLAYS_HEADER = 'x-simpul-replays';

/** Why a message is in a `.dead` queue. `broker` = dead-lettered by RabbitMQ itself (delivery limit). */
export type DeadReason = 'permanent' | 'exhausted' | 'malformed' | 'broker';

export type AmqpHeaders = Record<string, unknown>;

/** Headers RabbitMQ adds when it dead-letters or redelivers; stale once we republish ourselves. */
const BROKER_HEADERS = new Set([
  'x-death',
  'x-delivery-count',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
]);

/** Attempts already made, from the header; anything that is not a sane count reads as 0. */
export function attemptsMade(headers: AmqpHeaders | undefined): number {
  return nonNegativeInteger(headers?.[ATTEMPTS_HEADER]);
}

function nonNegativeInteger(value: unknown): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) return 0;
  return number;
}

function withoutBusHeaders(headers: AmqpHeaders | undefined): AmqpHeaders {
  const kept: AmqpHeaders = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (BROKER_HEADERS.has(key) || key.startsWith('x-simpul-')) continue;
    kept[key] = value;
  }
  return kept;
}

export function retryHeaders(original: AmqpHeaders | undefined, attempts: number, lastError: string): AmqpHeaders {
  return { ...withoutBusHeaders(original), [ATTEMPTS_HEADER]: attempts, [LAST_ERROR_HEADER]: lastError };
}

export interface DeadLetterFacts {
  queue: string;
  attempts: number;
  reason: DeadReason;
  lastError: string;
  at: Date;
}

export function deadHeaders(original: AmqpHeaders | undefined, facts: DeadLetterFacts): AmqpHeaders {
  return {
    ...withoutBusHeaders(original),
    [REPLAYS_HEADER]: nonNegativeInteger(original?.[REPLAYS_HEADER]),
    [ATTEMPTS_HEADER]: facts.attempts,
    [LAST_ERROR_HEADER]: facts.lastError,
    [DEAD_REASON_HEADER]: facts.reason,
    [DEAD_AT_HEADER]: facts.at.toISOString(),
    [ORIGIN_QUEUE_HEADER]: facts.queue,
  };
}

/** A replayed message starts with a fresh attempt budget; the replay count is kept. */
export function replayHeaders(dead: AmqpHeaders | undefined): AmqpHeaders {
  return { ...withoutBusHeaders(dead), [REPLAYS_HEADER]: nonNegativeInteger(dead?.[REPLAYS_HEADER]) + 1 };
}

/** What a dead letter's headers say about it, including ones RabbitMQ dead-lettered itself. */
export function readDeadLetterFacts(headers: AmqpHeaders | undefined, fallbackQueue: string): DeadLetterFacts & { replays: number } {
  const replays = nonNegativeInteger(headers?.[REPLAYS_HEADER]);
  const reason = headers?.[DEAD_REASON_HEADER];
  if (typeof reason === 'string') {
    const at = new Date(String(headers?.[DEAD_AT_HEADER]));
    return {
      queue: String(headers?.[ORIGIN_QUEUE_HEADER] ?? fallbackQueue),
      attempts: attemptsMade(headers),
      reason: isDeadReason(reason) ? reason : 'permanent',
      lastError: String(headers?.[LAST_ERROR_HEADER] ?? ''),
      at: Number.isNaN(at.getTime()) ? new Date(0) : at,
      replays,
    };
  }
  const death = latestDeath(headers);
  return {
    queue: death.queue ?? fallbackQueue,
    attempts: nonNegativeInteger(headers?.['x-delivery-count']) || attemptsMade(headers),
    reason: 'broker',
    lastError: death.reason ? `dead-lettered by the broker: ${death.reason}` : 'dead-lettered by the broker',
    at: death.time ?? new Date(0),
    replays,
  };
}

function isDeadReason(value: string): value is DeadReason {
  return value === 'permanent' || value === 'exhausted' || value === 'malformed' || value === 'broker';
}

/** RabbitMQ keeps `x-death` most recent first. */
function latestDeath(headers: AmqpHeaders | undefined): { queue?: string; reason?: string; time?: Date } {
  const deaths = headers?.['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0 || typeof deaths[0] !== 'object' || deaths[0] === null) return {};
  const death = deaths[0] as Record<string, unknown>;
  const seconds = typeof death.time === 'number' ? death.time : undefined;
  return {
    queue: typeof death.queue === 'string' ? death.queue : undefined,
    reason: typeof death.reason === 'string' ? death.reason : undefined,
    time: seconds === undefined ? undefined : new Date(seconds * 1000),
  };
}
