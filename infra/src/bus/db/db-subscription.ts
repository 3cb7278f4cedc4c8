import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BusLogger } from '../bus-logger.ts';
import type { AmqpHeaders } from '../delivery-headers.ts';
import { attemptsMade, deadHeaders, retryHeaders } from '../delivery-headers.ts';
import { describeError, PermanentError } from '../errors.ts';
import type { FailureRoute, RetryPlan } from '../failure-route.ts';
import { routeFailure } from '../failure-route.ts';
import type { BusSubscription } from '../message-bus.ts';
import { decodeEnvelope } from '../message-body.ts';
import type { Delivery, EnvelopeHandler } from '../subscription.ts';
import type { BusSql } from './db-schema.ts';
import { BUS_SCHEMA, NOTIFY_CHANNEL } from './db-schema.ts';

export interface DbSubscriptionSetup {
  sql: BusSql;
  logger: BusLogger;
  queue: string;
  plan: RetryPlan;
  /** Delay of each `<queue>.retry.<n>` (index n-1). */
  retryDelaysMs: readonly number[];
  /** Leases of one message before it is dead-lettered as `broker` (RabbitMQ's x-delivery-limit). */
  deliveryLimit: number | undefined;
  prefetch: number;
  concurrency: number;
  requeueDelayMs: number;
  leaseMs: number;
  pollIntervalMs: number;
  handler: EnvelopeHandler<any>;
  onClosed: (subscription: DbSubscription) => void;
}

interface Row {
  seq: string;
  body: string;
  headers: AmqpHeaders;
  deliveries: number;
  message_id: string | null;
  trace_id: string | null;
}

/**
 * One consumer of one queue of the database bus. It leases up to `prefetch` due rows at a time
 * (`FOR UPDATE SKIP LOCKED`, so replicas never take the same row), renews the leases while their
 * handlers run, and settles each like the RabbitMQ consumer does: delete on success, move to a
 * retry queue (visible after its delay) or to `.dead` on failure. A consumer that dies stops
 * renewing; its rows come back once their lease runs out. Woken by NOTIFY, and by a poll for
 * retries coming due.
 */
export class DbSubscription implements BusSubscription {
  readonly queue: string;
  readonly #setup: DbSubscriptionSetup;
  readonly #token = randomUUID();
  /** Every queue whose due rows this consumer takes: the work queue and its retry queues. */
  readonly #sources: string[];
  readonly #held = new Set<string>();
  readonly #waiting: Row[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #pollTimer: NodeJS.Timeout;
  readonly #leaseTimer: NodeJS.Timeout;
  #running = 0;
  #filling: Promise<void> | undefined;
  #fillAgain = false;
  #closing: Promise<void> | undefined;

  constructor(setup: DbSubscriptionSetup) {
    this.#setup = setup;
    this.queue = setup.queue;
    this.#sources = [setup.queue, ...setup.retryDelaysMs.map((_delay, index) => `${setup.queue}.retry.${index + 1}`)];
    this.#pollTimer = setInterval(() => this.wake(), setup.pollIntervalMs);
    this.#leaseTimer = setInterval(() => void this.#renewLeases(), Math.max(50, Math.floor(setup.leaseMs / 3)));
  }

  get inFlight(): number {
    return this.#running;
  }

  /** Whether a NOTIFY for `queue` concerns this consumer. */
  takesFrom(queue: string): boolean {
    return this.#sources.includes(queue);
  }

  /** Looks for due messages now (coalesced: one claim runs at a time). */
  wake(): void {
    if (this.#closing) return;
    if (this.#filling) {
      this.#fillAgain = true;
      return;
    }
    this.#filling = this.#fill().finally(() => {
      this.#filling = undefined;
      if (this.#fillAgain) {
        this.#fillAgain = false;
        this.wake();
      }
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    clearInterval(this.#pollTimer);
    await this.#filling;
    const unstarted = this.#waiting.splice(0).map((row) => row.seq);
    for (const seq of unstarted) this.#held.delete(seq);
    if (unstarted.length > 0) {
      await this.#setup.sql`
        UPDATE ${this.#setup.sql(BUS_SCHEMA)}.messages
        SET lease_until = NULL, lease_token = NULL, deliveries = greatest(deliveries - 1, 0)
        WHERE seq = ANY(${this.#setup.sql.array(unstarted)}::bigint[]) AND lease_token = ${this.#token}`.catch((error: unknown) =>
        this.#setup.logger.warn({ queue: this.queue, error: describeError(error) }, 'could not hand back unstarted messages; their lease will run out'),
      );
    }
    if (this.#running > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    clearInterval(this.#leaseTimer);
    this.#setup.onClosed(this);
  }

  async #fill(): Promise<void> {
    const { sql, prefetch, queue, leaseMs, logger } = this.#setup;
    for (;;) {
      const free = prefetch - this.#held.size;
      if (free <= 0 || this.#closing) return;
      let rows: Row[];
      try {
        rows = await sql<Row[]>`
          WITH picked AS (
            SELECT seq FROM ${sql(BUS_SCHEMA)}.messages
            WHERE queue = ANY(${sql.array(this.#sources)}::text[]) AND visible_at <= now() AND (lease_until IS NULL OR lease_until < now())
            ORDER BY seq LIMIT ${free}
            FOR UPDATE SKIP LOCKED)
          UPDATE ${sql(BUS_SCHEMA)}.messages m
          SET queue = ${queue}, lease_until = now() + ${leaseMs} * interval '1 millisecond', lease_token = ${this.#token}, deliveries = m.deliveries + 1
          FROM picked WHERE m.seq = picked.seq
          RETURNING m.seq, m.body, m.headers, m.deliveries, m.message_id, m.trace_id`;
      } catch (error) {
        logger.warn({ queue, error: describeError(error) }, 'database bus: could not take messages; trying again at the next poll');
        return;
      }
      if (rows.length === 0) return;
      rows.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
      for (const row of rows) {
        this.#held.add(row.seq);
        this.#waiting.push(row);
      }
      this.#pump();
      if (rows.length < free) return;
    }
  }

  #pump(): void {
    while (this.#running < this.#setup.concurrency && this.#waiting.length > 0 && !this.#closing) {
      const row = this.#waiting.shift() as Row;
      this.#running++;
      void this.#handle(row).finally(() => {
        this.#running--;
        this.#held.delete(row.seq);
        if (this.#running === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
        this.#pump();
        this.wake();
      });
    }
  }

  async #handle(row: Row): Promise<void> {
    const { queue, plan, handler, logger, deliveryLimit } = this.#setup;
    const attempt = attemptsMade(row.headers) + 1;
    if (deliveryLimit !== undefined && row.deliveries > deliveryLimit) {
      // RabbitMQ's quorum queues do the same with a message whose consumers keep dying on it.
      const error = new Error(`dead-lettered by the broker: delivery_limit (${deliveryLimit} deliveries without an acknowledgement)`);
      const route: FailureRoute = plan.hasDeadQueue ? { action: 'dead', queue: `${queue}.dead`, reason: 'broker' } : { action: 'requeue' };
      return this.#settleFailure(row, route, attempt, error);
    }
    const decoded = decodeEnvelope(row.body);
    if (decoded.problem !== undefined) {
      const error = new PermanentError(`malformed envelope: ${decoded.problem}`);
      return this.#settleFailure(row, routeFailure(queue, plan, attempt, error, true), attempt, error);
    }
    const envelope = { ...decoded.envelope, attempt };
    const delivery: Delivery = { queue, attempt, maxAttempts: plan.maxAttempts, redelivered: row.deliveries > 1, headers: row.headers };
    try {
      await handler(envelope, delivery);
    } catch (error) {
      return this.#settleFailure(row, routeFailure(queue, plan, attempt, error), attempt, error);
    }
    await this.#acknowledge(row);
    logger.debug({ queue, messageId: envelope.id, traceId: envelope.traceId, attempt }, 'bus message handled');
  }

  async #acknowledge(row: Row): Promise<void> {
    const { sql, logger, queue } = this.#setup;
    try {
      const deleted = await sql`DELETE FROM ${sql(BUS_SCHEMA)}.messages WHERE seq = ${row.seq} AND lease_token = ${this.#token}`;
      if (deleted.count === 0) logger.warn({ queue, messageId: row.message_id }, 'database bus: the lease ran out before the acknowledgement; the message may be handled again');
    } catch (error) {
      logger.error({ queue, messageId: row.message_id, error: describeError(error) }, 'database bus: acknowledgement failed; the message comes back when its lease runs out');
    }
  }

  async #settleFailure(row: Row, route: FailureRoute, attempt: number, error: unknown): Promise<void> {
    const { sql, queue, logger, requeueDelayMs, retryDelaysMs } = this.#setup;
    const lastError = describeError(error);
    const context = { queue, messageId: row.message_id, traceId: row.trace_id, attempt, error: lastError };
    if (route.action === 'requeue') {
      logger.error(context, `handler failed and "${queue}" has no dead-letter queue; requeueing`);
      await sleep(requeueDelayMs);
      await this.#release(row);
      return;
    }
    const headers =
      route.action === 'retry'
        ? retryHeaders(row.headers, attempt, lastError)
        : deadHeaders(row.headers, { queue, attempts: attempt, reason: route.reason, lastError, at: new Date() });
    const level = /\.retry\.(\d+)$/.exec(route.queue);
    const delayMs = route.action === 'retry' && level ? (retryDelaysMs[Number(level[1]) - 1] ?? 0) : 0;
    try {
      await sql.begin(async (tx) => {
        await tx`
          UPDATE ${sql(BUS_SCHEMA)}.messages
          SET queue = ${route.queue}, headers = ${JSON.stringify(headers)}::text::jsonb, visible_at = now() + ${delayMs} * interval '1 millisecond',
              lease_until = NULL, lease_token = NULL, deliveries = 0
          WHERE seq = ${row.seq} AND lease_token = ${this.#token}`;
        if (delayMs === 0) await tx`SELECT pg_notify(${NOTIFY_CHANNEL}, ${route.queue})`;
      });
    } catch (moveError) {
      logger.error({ ...context, target: route.queue, publishError: describeError(moveError) }, 'could not move a failed message; requeueing');
      await sleep(requeueDelayMs);
      await this.#release(row);
      return;
    }
    if (route.action === 'retry') logger.warn({ ...context, target: route.queue }, 'bus handler failed; retry scheduled');
    else logger.error({ ...context, target: route.queue, reason: route.reason }, 'bus message dead-lettered');
  }

  /** Gives a held message back to the queue at once (else its lease would run out). */
  async #release(row: Row): Promise<void> {
    const { sql } = this.#setup;
    await sql`UPDATE ${sql(BUS_SCHEMA)}.messages SET lease_until = NULL, lease_token = NULL WHERE seq = ${row.seq} AND lease_token = ${this.#token}`.catch(
      () => undefined, // the lease runs out on its own: the message comes back either way
    );
  }

  async #renewLeases(): Promise<void> {
    const { sql, leaseMs, logger, queue } = this.#setup;
    if (this.#held.size === 0) return;
    try {
      await sql`
        UPDATE ${sql(BUS_SCHEMA)}.messages SET lease_until = now() + ${leaseMs} * interval '1 millisecond'
        WHERE lease_token = ${this.#token} AND seq = ANY(${sql.array([...this.#held])}::bigint[])`;
    } catch (error) {
      logger.warn({ queue, error: describeError(error) }, 'database bus: could not renew leases; messages may be handled twice');
    }
  }
}
