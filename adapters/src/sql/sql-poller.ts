/**
 * The SQL poller (`simpul sql`): per source, reads the next batch of rows after the saved watermark
 * (composite: watermark column, then the tie-breaker key), publishes one `sql` message per row to
 * `simpul.ingest` (`sql.<source>`) with confirms, and saves the watermark only once every message of
 * the batch is confirmed. A crash in between re-reads at most that batch; the rows get the same
 * message ids, which the ingest worker skips. Database and bus faults back off exponentially;
 * schema drift stops the source at the offending row with an error naming column and row key.
 */
import { EXCHANGES, type Envelope, type Logger, type SqlSourceConfig } from '@simpul/infra';
import { batchStatement, type WatermarkPosition } from './batch-query.ts';
import { checkColumnsPresent, typeMismatch } from './check-columns.ts';
import { isSchemaError, openLegacyDatabase, type LegacyDatabase } from './legacy-database.ts';
import { rowEnvelope } from './row-envelope.ts';
import { SqlSourceError } from './sql-source-error.ts';
import type { WatermarkStore } from './watermark-store.ts';

export interface IngestPublisher {
  publish(exchange: string, routingKey: string, envelope: Envelope): Promise<void>;
}

export type SqlSourceState = 'starting' | 'polling' | 'idle' | 'standby' | 'backoff' | 'schema-drift' | 'stopped';

export interface SqlSourceStatus {
  source: string;
  state: SqlSourceState;
  /** Where the next batch starts. */
  watermark?: WatermarkPosition;
  /** Rows published (and confirmed) by this process. */
  published: number;
  consecutiveFailures: number;
  lastError?: string;
  lastErrorReason?: SqlSourceError['reason'];
  lastSuccessAt?: string;
}

export interface SqlPollerOptions {
  sources: readonly SqlSourceConfig[];
  publisher: IngestPublisher;
  store: WatermarkStore;
  logger: Logger;
  /** Opens a source's database (default: the driver named in its config). */
  openDatabase?: (source: SqlSourceConfig) => Promise<LegacyDatabase>;
}

export class SqlPoller {
  readonly #pollers: SourcePoller[];

  constructor(options: SqlPollerOptions) {
    this.#pollers = options.sources.map((source) => new SourcePoller(source, options));
  }

  start(): void {
    for (const poller of this.#pollers) poller.start();
  }

  status(): SqlSourceStatus[] {
    return this.#pollers.map((poller) => poller.status());
  }

  /** Healthy when no source is in backoff or schema drift. */
  healthy(): boolean {
    return this.status().every((status) => status.state !== 'backoff' && status.state !== 'schema-drift');
  }

  /** Stops after the batch in flight (its watermark is saved if it was confirmed). */
  async close(): Promise<void> {
    await Promise.all(this.#pollers.map((poller) => poller.close()));
  }
}

class SourcePoller {
  readonly #source: SqlSourceConfig;
  readonly #options: SqlPollerOptions;
  readonly #log: Logger;
  #status: SqlSourceStatus;
  #database: LegacyDatabase | undefined;
  #locked = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(source: SqlSourceConfig, options: SqlPollerOptions) {
    this.#source = source;
    this.#options = options;
    this.#log = options.logger.child({ source: source.name });
    this.#status = { source: source.name, state: 'starting', published: 0, consecutiveFailures: 0 };
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  status(): SqlSourceStatus {
    return { ...this.#status };
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await this.#database?.close().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'closing the legacy database failed'));
    this.#status.state = 'stopped';
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let delayMs: number;
      try {
        const more = await this.#pollOnce();
        this.#status.consecutiveFailures = 0;
        this.#status.lastSuccessAt = new Date().toISOString();
        delayMs = more ? 0 : this.#source.intervalSeconds * 1000;
      } catch (err) {
        delayMs = this.#failed(err);
      }
      if (delayMs > 0 && !this.#stopped) await this.#sleep(delayMs);
    }
  }

  /** Reads and publishes one batch; true when the batch was full (more rows are probably waiting). */
  async #pollOnce(): Promise<boolean> {
    const { store } = this.#options;
    const source = this.#source;
    if (!this.#locked) {
      this.#locked = await store.tryLock(source.name);
      if (!this.#locked) {
        if (this.#status.state !== 'standby') this.#log.info('another simpul sql process polls this source; standing by');
        this.#status.state = 'standby';
        return false;
      }
    }
    const { position } = await store.load(source.name);
    this.#status.watermark = position;
    this.#status.state = 'polling';
    const database = await this.#openDatabase();
    const statement = batchStatement(source.driver, { query: source.query, column: source.watermark.column, key: source.watermark.key, after: position, limit: source.batchSize });
    let result;
    try {
      result = await database.read(statement, source.queryTimeoutSeconds * 1000);
    } catch (err) {
      if (isSchemaError(err)) {
        throw new SqlSourceError({ reason: 'schema-drift', source: source.name, message: `the database refused the query: ${(err as Error).message}`, cause: err });
      }
      // The connection may be the problem: a new one is opened for the next attempt.
      const broken = this.#database;
      this.#database = undefined;
      await broken?.close().catch(() => undefined);
      throw new SqlSourceError({ reason: 'database', source: source.name, message: `the query failed: ${(err as Error).message}`, cause: err });
    }
    checkColumnsPresent(source.name, result.columns, [source.watermark.column, source.watermark.key, ...Object.keys(source.expectedColumns)]);

    // Rows up to the first bad one are published and the watermark moves to just before it.
    const envelopes: Envelope[] = [];
    let last: WatermarkPosition | undefined;
    let drift: SqlSourceError | undefined;
    for (const row of result.rows) {
      const problem = this.#rowProblem(row);
      if (problem) {
        drift = problem;
        break;
      }
      const next = { value: row[source.watermark.column] as string | number, key: row[source.watermark.key] as string | number };
      envelopes.push(rowEnvelope(source.name, row, String(next.key), String(next.value)));
      last = next;
    }
    if (envelopes.length > 0 && last) {
      try {
        await Promise.all(envelopes.map((envelope) => this.#options.publisher.publish(EXCHANGES.ingest, `sql.${source.name}`, envelope)));
      } catch (err) {
        throw new SqlSourceError({ reason: 'bus', source: source.name, message: `the bus did not confirm the batch (${envelopes.length} rows; the watermark was not moved): ${(err as Error).message}`, cause: err });
      }
      const saved = await store.save(source.name, position, last, envelopes.length);
      if (!saved) this.#log.warn({ watermark: last }, 'the watermark was moved by someone else meanwhile; reading again from the saved one');
      this.#status.published += envelopes.length;
      this.#status.watermark = last;
      this.#log.debug({ rows: envelopes.length, watermark: last }, 'batch published');
    }
    if (drift) throw drift;
    this.#status.state = 'idle';
    return result.rows.length >= source.batchSize;
  }

  /** A row the poller must not pass: an empty watermark value or key, or a value of the wrong type. */
  #rowProblem(row: Record<string, unknown>): SqlSourceError | undefined {
    const source = this.#source;
    const key = row[source.watermark.key];
    const keyText = key === null || key === undefined ? undefined : String(key);
    for (const column of [source.watermark.column, source.watermark.key]) {
      const value = row[column];
      if (value === null || value === undefined || !(typeof value === 'string' || typeof value === 'number')) {
        return new SqlSourceError({
          reason: 'schema-drift',
          source: source.name,
          column,
          ...(keyText !== undefined ? { rowKey: keyText } : {}),
          message: `the watermark needs a text or number value, found ${value === null || value === undefined ? 'no value' : typeof value}`,
        });
      }
    }
    for (const [column, type] of Object.entries(source.expectedColumns)) {
      const mismatch = typeMismatch(row[column], type);
      if (mismatch) return new SqlSourceError({ reason: 'schema-drift', source: source.name, column, rowKey: keyText, message: `type mismatch: ${mismatch}` });
    }
    return undefined;
  }

  async #openDatabase(): Promise<LegacyDatabase> {
    if (this.#database) return this.#database;
    const open = this.#options.openDatabase ?? openLegacyDatabase;
    try {
      this.#database = await open(this.#source);
    } catch (err) {
      throw new SqlSourceError({ reason: 'database', source: this.#source.name, message: `cannot connect: ${(err as Error).message}`, cause: err });
    }
    return this.#database;
  }

  /** Records the failure and returns how long to wait: exponential backoff with jitter, capped. */
  #failed(err: unknown): number {
    const failures = ++this.#status.consecutiveFailures;
    const error = err instanceof SqlSourceError ? err : new SqlSourceError({ reason: 'database', source: this.#source.name, message: (err as Error).message, cause: err });
    const { initialSeconds, maxSeconds } = this.#source.backoff;
    const base = Math.min(initialSeconds * 2 ** (failures - 1), maxSeconds) * 1000;
    const delayMs = Math.round(base / 2 + Math.random() * (base / 2));
    this.#status.state = error.reason === 'schema-drift' ? 'schema-drift' : 'backoff';
    this.#status.lastError = error.message;
    this.#status.lastErrorReason = error.reason;
    const fields = { reason: error.reason, column: error.column, rowKey: error.rowKey, attempt: failures, retryInMs: delayMs, err: error.message };
    if (failures === 1 || failures % 10 === 0) this.#log.error(fields, 'sql source failed; backing off');
    else this.#log.warn(fields, 'sql source still failing');
    return delayMs;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
