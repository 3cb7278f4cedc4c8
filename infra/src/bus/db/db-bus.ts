import postgres from 'postgres';
import { redactUrlCredentials } from '../../config/redact.ts';
import { positiveInteger } from '../arguments.ts';
import type { BusLogger } from '../bus-logger.ts';
import { silentLogger } from '../bus-logger.ts';
import type { DeadLetter, ListDeadOptions, ReplayDeadOptions } from '../dead-letters.ts';
import { deadLetterFrom, deadLetterQueues, listLimit, MAX_REPLAY_SCAN, replaySelection } from '../dead-letters.ts';
import type { AmqpHeaders } from '../delivery-headers.ts';
import { replayHeaders } from '../delivery-headers.ts';
import { withTimeout } from '../deadline.ts';
import type { Envelope } from '../envelope.ts';
import { assertEnvelope, encodeEnvelope } from '../envelope.ts';
import { BusError, describeError } from '../errors.ts';
import type { BusOptions, BusSubscription, ConsumeOptions, MessageBus, PublishOptions } from '../message-bus.ts';
import type { EnvelopeHandler } from '../subscription.ts';
import type { ExchangeType, Topology } from '../topology.ts';
import { assertQueueName, deadQueueName, retryQueueName } from '../topology.ts';
import type { BusSql } from './db-schema.ts';
import { BUS_SCHEMA, ensureBusSchema, NOTIFY_CHANNEL } from './db-schema.ts';
import { DbSubscription } from './db-subscription.ts';
import { bindingMatches } from './topic-match.ts';

const DEFAULTS = { publishTimeoutMs: 5_000, connectTimeoutMs: 10_000, checkTimeoutMs: 2_000, leaseMs: 30_000, pollIntervalMs: 1_000 };
const MAX_ROUTING_KEY_BYTES = 255;
const MAX_PROBED_RETRY_LEVELS = 20;
const EXCHANGE_TYPES: readonly ExchangeType[] = ['topic', 'direct', 'fanout'];
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);

type Settings = typeof DEFAULTS;

/**
 * The bus on durable tables in PostgreSQL (the appliance's default, `postgres://` bus URLs), with
 * the contract of `RabbitBus`: a publish resolves once its transaction committed (fsync'd), a
 * consumer acknowledges manually with bounded prefetch, failures go through the same retry levels
 * (`<queue>.retry.<n>`, delays from the queues' `x-message-ttl`) to `<queue>.dead`, topic/direct
 * routing as RabbitMQ does it. See `db-schema.ts` for the tables, `db-subscription.ts` for leases.
 */
export class DbBus implements MessageBus {
  readonly #sql: BusSql;
  readonly #logger: BusLogger;
  readonly #settings: Settings;
  readonly #subscriptions = new Set<DbSubscription>();
  #listening: Promise<{ unlisten(): Promise<void> }> | undefined;
  #healthy = true;
  #closing: Promise<void> | undefined;

  private constructor(sql: BusSql, logger: BusLogger, settings: Settings) {
    this.#sql = sql;
    this.#logger = logger;
    this.#settings = settings;
  }

  static async connect(url: string, options: BusOptions = {}): Promise<DbBus> {
    if (typeof url !== 'string' || !/^postgres(ql)?:\/\//i.test(url)) {
      throw new BusError('INVALID_ARGUMENT', `the database bus URL must start with postgres://, got ${JSON.stringify(redactUrlCredentials(String(url)))}`);
    }
    const settings: Settings = {
      publishTimeoutMs: positiveInteger('publishTimeoutMs', options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs, 3_600_000),
      connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 3_600_000),
      checkTimeoutMs: positiveInteger('checkTimeoutMs', options.checkTimeoutMs ?? DEFAULTS.checkTimeoutMs, 3_600_000),
      leaseMs: positiveInteger('leaseMs', options.leaseMs ?? DEFAULTS.leaseMs, 86_400_000, 100),
      pollIntervalMs: positiveInteger('pollIntervalMs', options.pollIntervalMs ?? DEFAULTS.pollIntervalMs, 3_600_000, 10),
    };
    const logger = options.logger ?? silentLogger();
    const where = redactUrlCredentials(url);
    const sql: BusSql = postgres(url, {
      max: 10,
      onnotice: () => undefined,
      connect_timeout: Math.max(1, Math.ceil(settings.connectTimeoutMs / 1000)),
      connection: { application_name: options.connectionName ?? 'simpul-bus' },
    });
    try {
      await withTimeout(ensureBusSchema(sql), settings.connectTimeoutMs, () => new Error(`no answer within ${settings.connectTimeoutMs} ms`));
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw new BusError('CONNECT_FAILED', `could not connect the database bus to ${where}: ${describeError(error)}`, { cause: error });
    }
    logger.info({ url: where }, 'database bus connected');
    return new DbBus(sql, logger, settings);
  }

  async declare(topology: Topology): Promise<void> {
    this.#assertOpen();
    const sql = this.#sql;
    for (const exchange of topology.exchanges) {
      if (!EXCHANGE_TYPES.includes(exchange.type)) throw new BusError('DECLARE_FAILED', `exchange "${exchange.name}": type "${exchange.type}" is not supported by the database bus`);
    }
    for (const queue of topology.queues) assertQueueName(queue.name);
    let step = '';
    try {
      await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtext('simpul_bus.declare'))`;
        for (const exchange of topology.exchanges) {
          step = `exchange "${exchange.name}"`;
          await tx`INSERT INTO ${sql(BUS_SCHEMA)}.exchanges (name, type) VALUES (${exchange.name}, ${exchange.type}) ON CONFLICT (name) DO NOTHING`;
          const [existing] = await tx<{ type: string }[]>`SELECT type FROM ${sql(BUS_SCHEMA)}.exchanges WHERE name = ${exchange.name}`;
          if (existing.type !== exchange.type) throw new BusError('DECLARE_FAILED', `exchange "${exchange.name}" exists with type "${existing.type}", declared "${exchange.type}"`);
        }
        for (const queue of topology.queues) {
          step = `queue "${queue.name}"`;
          const args = canonicalJson(queue.arguments);
          await tx`INSERT INTO ${sql(BUS_SCHEMA)}.queues (name, arguments) VALUES (${queue.name}, ${args}::text::jsonb) ON CONFLICT (name) DO NOTHING`;
          const [existing] = await tx<{ arguments: Record<string, unknown> }[]>`SELECT arguments FROM ${sql(BUS_SCHEMA)}.queues WHERE name = ${queue.name}`;
          if (canonicalJson(existing.arguments) !== args) {
            throw new BusError('DECLARE_FAILED', `queue "${queue.name}" exists with other arguments (${canonicalJson(existing.arguments)}), declared ${args}`);
          }
          for (const binding of queue.bindings) {
            step = `binding of "${queue.name}" to "${binding.exchange}" (${binding.routingKey})`;
            const [exchange] = await tx`SELECT 1 FROM ${sql(BUS_SCHEMA)}.exchanges WHERE name = ${binding.exchange}`;
            if (!exchange) throw new BusError('DECLARE_FAILED', `${step}: exchange "${binding.exchange}" does not exist`);
            await tx`INSERT INTO ${sql(BUS_SCHEMA)}.bindings (exchange, queue, routing_key) VALUES (${binding.exchange}, ${queue.name}, ${binding.routingKey}) ON CONFLICT DO NOTHING`;
          }
        }
      });
    } catch (error) {
      if (error instanceof BusError) throw error;
      throw new BusError('DECLARE_FAILED', `declaring ${step} failed: ${describeError(error)}`, { cause: error });
    }
  }

  async publish(exchange: string, routingKey: string, envelope: Envelope, options: PublishOptions = {}): Promise<void> {
    if (typeof exchange !== 'string') throw new BusError('INVALID_ARGUMENT', 'exchange must be a string');
    if (typeof routingKey !== 'string' || Buffer.byteLength(routingKey) > MAX_ROUTING_KEY_BYTES) {
      throw new BusError('INVALID_ARGUMENT', `routing key must be a string of at most ${MAX_ROUTING_KEY_BYTES} bytes`);
    }
    assertEnvelope(envelope);
    this.#assertOpen();
    const body = encodeEnvelope(envelope).toString('utf8');
    const mandatory = options.mandatory ?? true;
    const timeoutMs = this.#settings.publishTimeoutMs;
    const sql = this.#sql;
    const work = sql.begin(async (tx) => {
      const queues = await this.#route(tx, exchange, routingKey);
      if (queues.length === 0) {
        if (mandatory) throw new BusError('UNROUTABLE', `no queue is bound to "${exchange}" for routing key "${routingKey}"`);
        return;
      }
      await this.#refuseFullQueues(tx, queues);
      await tx`
        INSERT INTO ${sql(BUS_SCHEMA)}.messages (queue, message_id, trace_id, body)
        SELECT q, ${envelope.id}, ${envelope.traceId}, ${body} FROM unnest(${sql.array(queues)}::text[]) AS q`;
      await tx`SELECT pg_notify(${NOTIFY_CHANNEL}, q) FROM unnest(${sql.array(queues)}::text[]) AS q`;
    });
    try {
      await withTimeout(work, timeoutMs, () => new BusError('PUBLISH_TIMEOUT', `the database did not commit within ${timeoutMs} ms; the message may still be stored`));
      this.#healthy = true;
    } catch (error) {
      if (error instanceof BusError) throw error;
      throw this.#failure('PUBLISH_FAILED', 'publish failed', error);
    }
  }

  async consume<TBody = unknown>(queue: string, handler: EnvelopeHandler<TBody>, options: ConsumeOptions): Promise<BusSubscription> {
    this.#assertOpen();
    assertQueueName(queue);
    if (typeof handler !== 'function') throw new BusError('INVALID_ARGUMENT', 'handler must be a function');
    const prefetch = positiveInteger('prefetch', options.prefetch, 65_535);
    const concurrency = Math.min(prefetch, positiveInteger('concurrency', options.concurrency ?? prefetch, 65_535));
    const requeueDelayMs = positiveInteger('requeueDelayMs', options.requeueDelayMs ?? 1_000, 3_600_000, 0);
    const queues = await this.#queueArguments(queue);
    const spec = queues.get(queue);
    if (!spec) throw new BusError('QUEUE_NOT_FOUND', `queue "${queue}" does not exist`);
    const retryDelaysMs: number[] = [];
    for (let level = 1; level <= MAX_PROBED_RETRY_LEVELS; level++) {
      const retry = queues.get(retryQueueName(queue, level));
      if (!retry) break;
      retryDelaysMs.push(Number(retry['x-message-ttl'] ?? 0));
    }
    const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? retryDelaysMs.length + 1, 10_000);
    const limit = spec['x-delivery-limit'];
    const subscription = new DbSubscription({
      sql: this.#sql,
      logger: this.#logger,
      queue,
      plan: { retryLevels: retryDelaysMs.length, hasDeadQueue: queues.has(deadQueueName(queue)), maxAttempts },
      retryDelaysMs,
      deliveryLimit: typeof limit === 'number' ? limit : undefined,
      prefetch,
      concurrency,
      requeueDelayMs,
      leaseMs: this.#settings.leaseMs,
      pollIntervalMs: this.#settings.pollIntervalMs,
      handler,
      onClosed: (closed) => this.#subscriptions.delete(closed),
    });
    this.#subscriptions.add(subscription);
    await this.#listen();
    subscription.wake();
    this.#logger.info({ queue, prefetch, concurrency, retryLevels: retryDelaysMs.length, maxAttempts }, 'bus consumer started');
    return subscription;
  }

  async queueDepth(queue: string): Promise<number> {
    this.#assertOpen();
    assertQueueName(queue);
    const sql = this.#sql;
    await this.#assertQueueExists(queue);
    const free = sql`(lease_until IS NULL OR lease_until < now())`;
    const [row] = /\.retry\.\d+$/.test(queue)
      ? await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${sql(BUS_SCHEMA)}.messages WHERE queue = ${queue} AND visible_at > now()`
      : await sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM ${sql(BUS_SCHEMA)}.messages
          WHERE ${free} AND visible_at <= now()
            AND (queue = ${queue} OR (left(queue, ${queue.length + 7}) = ${`${queue}.retry.`} AND queue ~ '\\.retry\\.[0-9]+$'))`;
    return row.n;
  }

  async listDead(queue: string, options: ListDeadOptions = {}): Promise<DeadLetter[]> {
    this.#assertOpen();
    const { work, dead } = deadLetterQueues(queue);
    const limit = listLimit(options);
    await this.#assertQueueExists(dead);
    const sql = this.#sql;
    const rows = await sql<{ body: string; headers: AmqpHeaders; message_id: string | null }[]>`
      SELECT body, headers, message_id FROM ${sql(BUS_SCHEMA)}.messages WHERE queue = ${dead} ORDER BY seq LIMIT ${limit}`;
    return rows.map((row) => deadLetterFrom({ body: row.body, messageId: row.message_id ?? undefined, headers: row.headers }, work));
  }

  async replayDead(queue: string, options: ReplayDeadOptions = {}): Promise<number> {
    this.#assertOpen();
    const { work, dead } = deadLetterQueues(queue);
    const wanted = replaySelection(options.ids ?? 'all');
    if (wanted !== 'all' && wanted.size === 0) return 0;
    await this.#assertQueueExists(dead);
    await this.#assertQueueExists(work);
    const sql = this.#sql;
    return sql.begin(async (tx) => {
      const rows = await tx<{ seq: string; body: string; headers: AmqpHeaders; message_id: string | null }[]>`
        SELECT seq, body, headers, message_id FROM ${sql(BUS_SCHEMA)}.messages WHERE queue = ${dead}
        ORDER BY seq LIMIT ${MAX_REPLAY_SCAN} FOR UPDATE SKIP LOCKED`;
      let moved = 0;
      for (const row of rows) {
        const id = deadLetterFrom({ body: row.body, messageId: row.message_id ?? undefined, headers: row.headers }, work).id;
        if (wanted !== 'all' && (id === undefined || !wanted.has(id))) continue;
        await tx`
          UPDATE ${sql(BUS_SCHEMA)}.messages
          SET queue = ${work}, headers = ${JSON.stringify(replayHeaders(row.headers))}::text::jsonb, visible_at = now(), lease_until = NULL, lease_token = NULL, deliveries = 0
          WHERE seq = ${row.seq}`;
        moved++;
      }
      if (moved > 0) await tx`SELECT pg_notify(${NOTIFY_CHANNEL}, ${work})`;
      return moved;
    });
  }

  isReady(): boolean {
    return this.#closing === undefined && this.#healthy;
  }

  async check(): Promise<void> {
    this.#assertOpen();
    const timeoutMs = this.#settings.checkTimeoutMs;
    try {
      await withTimeout(this.#sql`SELECT 1`, timeoutMs, () => new BusError('CHECK_FAILED', `the bus database did not answer within ${timeoutMs} ms`));
      this.#healthy = true;
    } catch (error) {
      this.#healthy = false;
      if (error instanceof BusError) throw error;
      throw new BusError('CHECK_FAILED', `the bus database check failed: ${describeError(error)}`, { cause: error });
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    const listening = await this.#listening?.catch(() => undefined);
    await listening?.unlisten().catch(() => undefined);
    await this.#sql.end({ timeout: 5 });
    this.#logger.info({}, 'bus closed');
  }

  /** One LISTEN per bus; NOTIFY payloads name the queue that got a message. */
  #listen(): Promise<unknown> {
    this.#listening ??= this.#sql.listen(NOTIFY_CHANNEL, (queue) => {
      for (const subscription of this.#subscriptions) if (subscription.takesFrom(queue)) subscription.wake();
    });
    return this.#listening;
  }

  async #route(tx: postgres.TransactionSql<Record<string, never>>, exchange: string, routingKey: string): Promise<string[]> {
    const sql = this.#sql;
    if (exchange === '') {
      const [queue] = await tx`SELECT 1 FROM ${sql(BUS_SCHEMA)}.queues WHERE name = ${routingKey}`;
      return queue ? [routingKey] : [];
    }
    const [found] = await tx<{ type: ExchangeType }[]>`SELECT type FROM ${sql(BUS_SCHEMA)}.exchanges WHERE name = ${exchange}`;
    if (!found) throw new BusError('PUBLISH_FAILED', `exchange "${exchange}" does not exist (declare the topology first)`);
    const bindings = await tx<{ queue: string; routing_key: string }[]>`SELECT queue, routing_key FROM ${sql(BUS_SCHEMA)}.bindings WHERE exchange = ${exchange}`;
    return [...new Set(bindings.filter((binding) => bindingMatches(found.type, binding.routing_key, routingKey)).map((binding) => binding.queue))];
  }

  /** `x-max-length` with `x-overflow: reject-publish`, as RabbitMQ nacks a publish to a full queue. */
  async #refuseFullQueues(tx: postgres.TransactionSql<Record<string, never>>, queues: string[]): Promise<void> {
    const sql = this.#sql;
    const limited = await tx<{ name: string; max: number }[]>`
      SELECT name, (arguments->>'x-max-length')::bigint AS max FROM ${sql(BUS_SCHEMA)}.queues
      WHERE name = ANY(${sql.array(queues)}::text[]) AND arguments ? 'x-max-length' AND arguments->>'x-overflow' = 'reject-publish'`;
    for (const queue of limited) {
      const [row] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM ${sql(BUS_SCHEMA)}.messages WHERE queue = ${queue.name}`;
      if (row.n >= Number(queue.max)) throw new BusError('PUBLISH_NACKED', `queue "${queue.name}" is full (x-max-length ${queue.max}); the message was refused`);
    }
  }

  /** The queue and its retry/dead companions, name → arguments. */
  async #queueArguments(queue: string): Promise<Map<string, Record<string, unknown>>> {
    const sql = this.#sql;
    const rows = await sql<{ name: string; arguments: Record<string, unknown> }[]>`
      SELECT name, arguments FROM ${sql(BUS_SCHEMA)}.queues
      WHERE name = ${queue} OR name = ${deadQueueName(queue)} OR left(name, ${queue.length + 7}) = ${`${queue}.retry.`}`;
    return new Map(rows.map((row) => [row.name, row.arguments]));
  }

  async #assertQueueExists(queue: string): Promise<void> {
    const sql = this.#sql;
    let rows;
    try {
      rows = await sql`SELECT 1 FROM ${sql(BUS_SCHEMA)}.queues WHERE name = ${queue}`;
    } catch (error) {
      throw this.#failure('NOT_READY', `could not read queue "${queue}"`, error);
    }
    if (rows.length === 0) throw new BusError('QUEUE_NOT_FOUND', `queue "${queue}" does not exist`);
  }

  #failure(code: 'PUBLISH_FAILED' | 'NOT_READY', what: string, error: unknown): BusError {
    const connectionLost = CONNECTION_ERRORS.has(String((error as { code?: unknown })?.code));
    if (connectionLost) this.#healthy = false;
    return new BusError(connectionLost ? 'NOT_READY' : code, `${what}: ${describeError(error)}`, { cause: error });
  }

  #assertOpen(): void {
    if (this.#closing) throw new BusError('CLOSED', 'the bus is closed');
  }
}

/** Key order ignored, so re-declaring the same queue is recognised as the same. */
function canonicalJson(value: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}
