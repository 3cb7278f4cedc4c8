/**
 * The outbox relay: publishes outbox rows to RabbitMQ in `seq` order and marks them sent.
 *
 * Consumes: `outbox` rows with sent_at IS NULL. Writes: sent_at, and deletes sent rows past retention.
 * Why a replay is harmless: a crash between "published" and "marked sent" publishes the row again
 * with the same envelope id, and every consumer is idempotent on that id.
 * Only one relay publishes at a time (a PostgreSQL advisory lock held on its own connection), so
 * per-resource order survives several hub replicas; the others wait and take over when it dies.
 */
import type { Envelope } from '@simpul/infra';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import { OUTBOX_CHANNEL } from './outbox-writer.ts';

const RELAY_LOCK_KEY = 7_140_202_612;

export type PublishFn = (exchange: string, routingKey: string, envelope: Envelope) => Promise<void>;

/** A publish that failed because no queue takes the message: retrying now would fail the same way. */
function isUnroutable(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'UNROUTABLE';
}

export interface OutboxRelayOptions {
  sql: Sql;
  publish: PublishFn;
  logger: Logger;
  /** Rows taken per round (default 200). */
  batchSize?: number;
  /** How often to look without a NOTIFY, and to retry leadership (default 1000 ms). */
  pollIntervalMs?: number;
  /** Back-off after a failed publish (default 1000 ms, doubling to 30 s). */
  retryDelayMs?: number;
  /** Sent rows are deleted after this long (default 24 h). */
  retentionMs?: number;
  /** Parked (unroutable) rows are offered again after this long (default 60 s). */
  parkRetryMs?: number;
}

interface OutboxRow {
  seq: string;
  exchange: string;
  routing_key: string;
  envelope: string;
}

export interface RelayStats {
  published: number;
  failedPublishes: number;
  parked: number;
  isLeader: boolean;
}

export class OutboxRelay {
  readonly stats: RelayStats = { published: 0, failedPublishes: 0, parked: 0, isLeader: false };
  private readonly options: Required<Omit<OutboxRelayOptions, 'sql' | 'publish' | 'logger'>> & OutboxRelayOptions;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private lastCleanup = 0;
  /** Set by NOTIFY; a sleep that starts after one returns at once, so no wake-up is lost. */
  private notified = false;

  constructor(options: OutboxRelayOptions) {
    this.options = {
      batchSize: 200,
      pollIntervalMs: 1000,
      retryDelayMs: 1000,
      retentionMs: 24 * 3600_000,
      parkRetryMs: 60_000,
      ...options,
    };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const listener = await this.options.sql.listen(OUTBOX_CHANNEL, () => {
      this.notified = true;
      this.wake?.();
    });
    this.unlisten = () => listener.unlisten();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.unlisten?.().catch(() => undefined);
  }

  /** Age in ms of the oldest unsent row, 0 when the outbox is drained. */
  async lagMs(): Promise<number> {
    const [row] = await this.options.sql<{ lag: number | null }[]>`
      SELECT (extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::float8 AS lag
      FROM outbox WHERE sent_at IS NULL`;
    return Math.max(0, Math.round(row?.lag ?? 0));
  }

  private async run(): Promise<void> {
    while (this.running) {
      const reserved = await this.options.sql.reserve().catch((err: unknown) => {
        this.options.logger.error({ err }, 'outbox relay cannot reach the database');
        return undefined;
      });
      if (!reserved) {
        await this.sleep(this.options.pollIntervalMs);
        continue;
      }
      try {
        const [{ locked }] = await reserved<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${RELAY_LOCK_KEY}) AS locked`;
        if (!locked) {
          await this.sleep(this.options.pollIntervalMs);
          continue;
        }
        this.stats.isLeader = true;
        this.options.logger.info('outbox relay is the leader');
        await this.leadUntilStopped(reserved);
        await reserved`SELECT pg_advisory_unlock(${RELAY_LOCK_KEY})`;
      } catch (err) {
        this.options.logger.error({ err }, 'outbox relay lost its database connection; retrying');
        await this.sleep(this.options.pollIntervalMs);
      } finally {
        this.stats.isLeader = false;
        reserved.release();
      }
    }
  }

  private async leadUntilStopped(db: Sql): Promise<void> {
    let delay = this.options.retryDelayMs;
    while (this.running) {
      this.notified = false;
      const rows = await db<OutboxRow[]>`
        SELECT seq, exchange, routing_key, envelope FROM outbox
        WHERE sent_at IS NULL AND parked_at IS NULL ORDER BY seq LIMIT ${this.options.batchSize}`;
      if (rows.length === 0) {
        await this.cleanup(db);
        await this.sleep(this.options.pollIntervalMs);
        continue;
      }
      const { sent, parked } = await this.publishInOrder(rows);
      if (sent.length > 0) {
        await db`UPDATE outbox SET sent_at = clock_timestamp() WHERE seq = ANY(${sent}::bigint[])`;
      }
      for (const { seq, reason } of parked) {
        await db`UPDATE outbox SET parked_at = clock_timestamp(), park_reason = ${reason} WHERE seq = ${seq}`;
      }
      if (sent.length + parked.length < rows.length) {
        await this.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      } else {
        delay = this.options.retryDelayMs;
      }
    }
  }

  /**
   * Publishes rows in seq order. All are sent at once (one channel keeps their order); the rows
   * marked sent are the confirmed prefix, so a failure never lets a later version overtake an
   * earlier one that has to be retried.
   */
  private async publishInOrder(rows: OutboxRow[]): Promise<{ sent: string[]; parked: { seq: string; reason: string }[] }> {
    const results = await Promise.allSettled(
      rows.map((row) => this.options.publish(row.exchange, row.routing_key, JSON.parse(row.envelope) as Envelope)),
    );
    const sent: string[] = [];
    const parked: { seq: string; reason: string }[] = [];
    for (let i = 0; i < rows.length; i++) {
      const result = results[i];
      if (result.status === 'rejected' && isUnroutable(result.reason)) {
        this.stats.parked++;
        const reason = String((result.reason as Error).message ?? result.reason);
        this.options.logger.warn({ seq: rows[i].seq, exchange: rows[i].exchange, routingKey: rows[i].routing_key, reason }, 'outbox message parked: no queue takes it yet');
        parked.push({ seq: rows[i].seq, reason });
        continue;
      }
      if (result.status === 'rejected') {
        this.stats.failedPublishes++;
        this.options.logger.warn(
          { err: result.reason, seq: rows[i].seq, pending: rows.length - i },
          'outbox publish failed; will retry from this row',
        );
        break;
      }
      sent.push(rows[i].seq);
    }
    this.stats.published += sent.length;
    return { sent, parked };
  }

  private async cleanup(db: Sql): Promise<void> {
    if (Date.now() - this.lastCleanup < Math.min(60_000, this.options.parkRetryMs)) return;
    this.lastCleanup = Date.now();
    const cutoff = new Date(Date.now() - this.options.retentionMs);
    await db`DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ${cutoff}`;
    const parkCutoff = new Date(Date.now() - this.options.parkRetryMs);
    await db`UPDATE outbox SET parked_at = NULL WHERE sent_at IS NULL AND parked_at < ${parkCutoff}`;
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified || !this.running) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const state: { timer?: NodeJS.Timeout } = {};
      const done = (): void => {
        clearTimeout(state.timer);
        this.notified = false;
        resolve();
      };
      state.timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
