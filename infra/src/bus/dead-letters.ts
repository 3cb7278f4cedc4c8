import type { Channel, Connection, SyncMessage } from 'rabbitmq-client';
import type { ConfirmingPublisher } from './confirming-publisher.ts';
import type { DeadReason } from './delivery-headers.ts';
import { readDeadLetterFacts, replayHeaders } from './delivery-headers.ts';
import type { Envelope } from './envelope.ts';
import { BusError, describeError } from './errors.ts';
import { bodyBytes, decodeEnvelope } from './message-body.ts';
import { countReadyMessages } from './queue-probe.ts';
import { assertQueueName, deadQueueName } from './topology.ts';

/**
 * Browsing and replaying `<queue>.dead`. Quorum queues cannot be browsed, so both take messages
 * with basic.get on a channel of their own and hold them unacknowledged: a listed message is given
 * back with nack+requeue at the end (and by the broker if this process dies meanwhile), a replayed
 * one is acknowledged only after its copy in the work queue is confirmed. Nothing is lost either way.
 */
export interface DeadLetter {
  /** The envelope id (the idempotency key), else the AMQP messageId. */
  id: string | undefined;
  /** The envelope, when the body is one. */
  envelope?: Envelope;
  /** The body as text (first 4000 characters), when it is not an envelope. */
  rawBody?: string;
  reason: DeadReason;
  lastError: string;
  attempts: number;
  /** ISO time it was dead-lettered. */
  deadAt: string;
  /** The work queue it failed in. */
  queue: string;
  /** How many times it was replayed before. */
  replays: number;
}

export interface ListDeadOptions {
  /** Default 100, at most 10000. */
  limit?: number;
}

export interface ReplayDeadOptions {
  /** Envelope ids to move back, or 'all'. Default 'all'. */
  ids?: readonly string[] | 'all';
}

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;
const RAW_BODY_PREVIEW = 4000;
/** Messages one replay looks at, at most; run it again for more. */
export const MAX_REPLAY_SCAN = 100_000;

/** `bot.pacs` and `bot.pacs.dead` both name the dead-letter queue of `bot.pacs`. */
export function deadLetterQueues(queue: string): { work: string; dead: string } {
  assertQueueName(queue);
  const work = queue.endsWith('.dead') ? queue.slice(0, -'.dead'.length) : queue;
  assertQueueName(work);
  return { work, dead: deadQueueName(work) };
}

export async function listDead(connection: Connection, queue: string, options: ListDeadOptions = {}): Promise<DeadLetter[]> {
  const { work, dead } = deadLetterQueues(queue);
  const limit = listLimit(options);
  return withChannel(connection, async (channel) => {
    await countReadyMessages(channel, dead);
    const held: SyncMessage[] = [];
    try {
      while (held.length < limit) {
        const message = await channel.basicGet({ queue: dead });
        if (!message) break;
        held.push(message);
      }
    } finally {
      giveBack(channel, held);
    }
    return held.map((message) => describeDeadLetter(message, work));
  });
}

/** Moves the chosen dead letters back to the work queue, body and message id unchanged. Returns how many moved. */
export async function replayDead(connection: Connection, publisher: ConfirmingPublisher, queue: string, options: ReplayDeadOptions = {}): Promise<number> {
  const { work, dead } = deadLetterQueues(queue);
  const wanted = replaySelection(options.ids ?? 'all');
  if (wanted !== 'all' && wanted.size === 0) return 0;
  return withChannel(connection, async (channel) => {
    await countReadyMessages(channel, dead);
    const kept: SyncMessage[] = [];
    const replayed = new Set<string>();
    let moved = 0;
    try {
      // The queue's message count lags behind on quorum queues, so take until it is empty; a
      // replayed message that fails again and comes back ends the run rather than being chased.
      for (let taken = 0; taken < MAX_REPLAY_SCAN; taken++) {
        const message = await channel.basicGet({ queue: dead });
        if (!message) break;
        const id = deadLetterId(message);
        if (id !== undefined && replayed.has(id)) {
          kept.push(message);
          break;
        }
        if (wanted !== 'all' && (id === undefined || !wanted.has(id))) {
          kept.push(message);
          continue;
        }
        await moveBack(publisher, message, work).catch((error: unknown) => {
          kept.push(message);
          throw new BusError('PUBLISH_FAILED', `replayed ${moved} message(s) from ${dead}, then failed on ${id ?? '(no id)'}: ${describeError(error)}`, { cause: error });
        });
        channel.basicAck({ deliveryTag: message.deliveryTag });
        moved++;
        if (id !== undefined) replayed.add(id);
        if (wanted !== 'all') {
          wanted.delete(id as string);
          if (wanted.size === 0) break;
        }
      }
    } finally {
      giveBack(channel, kept);
    }
    return moved;
  });
}

export function listLimit(options: ListDeadOptions): number {
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_LIST_LIMIT) {
    throw new BusError('INVALID_ARGUMENT', `limit must be a whole number from 0 to ${MAX_LIST_LIMIT}, got ${String(limit)}`);
  }
  return limit;
}

export function replaySelection(ids: readonly string[] | 'all'): Set<string> | 'all' {
  if (ids === 'all') return 'all';
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw new BusError('INVALID_ARGUMENT', "ids must be a list of envelope ids or 'all'");
  }
  return new Set(ids);
}

async function moveBack(publisher: ConfirmingPublisher, message: SyncMessage, work: string): Promise<void> {
  await publisher.send({
    exchange: '',
    routingKey: work,
    body: bodyBytes(message.body),
    contentType: message.contentType ?? 'application/octet-stream',
    messageId: message.messageId,
    correlationId: message.correlationId,
    headers: replayHeaders(message.headers),
    mandatory: true,
  });
}

function deadLetterId(message: SyncMessage): string | undefined {
  return decodeEnvelope(message.body).envelope?.id ?? message.messageId;
}

function describeDeadLetter(message: SyncMessage, work: string): DeadLetter {
  return deadLetterFrom({ body: message.body, messageId: message.messageId, headers: message.headers }, work);
}

/** A stored dead message as the listing shows it (both buses). */
export function deadLetterFrom(message: { body: unknown; messageId: string | undefined; headers: Record<string, unknown> | undefined }, work: string): DeadLetter {
  const decoded = decodeEnvelope(message.body);
  const facts = readDeadLetterFacts(message.headers, work);
  const letter: DeadLetter = {
    id: decoded.envelope?.id ?? message.messageId,
    reason: facts.reason,
    lastError: facts.lastError,
    attempts: facts.attempts,
    deadAt: facts.at.toISOString(),
    queue: facts.queue,
    replays: facts.replays,
  };
  if (decoded.envelope) letter.envelope = decoded.envelope;
  else letter.rawBody = bodyBytes(message.body).toString('utf8').slice(0, RAW_BODY_PREVIEW);
  return letter;
}

/** Held messages go back to the queue (closing the channel would return them too). */
function giveBack(channel: Channel, held: readonly SyncMessage[]): void {
  for (const message of held) {
    if (channel.active) channel.basicNack({ deliveryTag: message.deliveryTag, requeue: true });
  }
}

async function withChannel<T>(connection: Connection, work: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await connection.acquire();
  try {
    return await work(channel);
  } finally {
    await channel.close();
  }
}
