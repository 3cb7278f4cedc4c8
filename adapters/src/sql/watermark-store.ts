import postgres from 'postgres';
import type { WatermarkPosition } from './batch-query.ts';

/**
 * Where each source's watermark is kept: a table in the hub's PostgreSQL (`database.url`), created
 * here on first use. Not the legacy database (the poller only reads there, often with a read-only
 * login) and not a file (replicas on other machines share PostgreSQL, not a disk). Saves are
 * compare-and-set on the previous position, so a watermark never moves backwards; a per-source
 * advisory lock lets exactly one replica poll a source while others stand by.
 */
export class WatermarkStore {
  readonly #sql: postgres.Sql;
  #ready: Promise<void> | undefined;
  #lockConnection: postgres.ReservedSql | undefined;

  constructor(databaseUrl: string) {
    this.#sql = postgres(databaseUrl, { max: 3, onnotice: () => undefined, connect_timeout: 10 });
  }

  async load(source: string): Promise<{ position?: WatermarkPosition; rowsPublished: number }> {
    await this.#migrate();
    const [row] = await this.#sql<{ position: WatermarkPosition; rows_published: string }[]>`
      SELECT position, rows_published FROM simpul_sql_watermark WHERE source = ${source}`;
    return row ? { position: row.position, rowsPublished: Number(row.rows_published) } : { rowsPublished: 0 };
  }

  /** Moves the watermark from `previous` to `next`; false when someone else moved it meanwhile (nothing is changed then). */
  async save(source: string, previous: WatermarkPosition | undefined, next: WatermarkPosition, rows: number): Promise<boolean> {
    await this.#migrate();
    const nextJson = this.#sql.json(next as unknown as postgres.JSONValue);
    if (!previous) {
      const inserted = await this.#sql`
        INSERT INTO simpul_sql_watermark (source, position, rows_published) VALUES (${source}, ${nextJson}, ${rows})
        ON CONFLICT (source) DO NOTHING`;
      return inserted.count === 1;
    }
    const updated = await this.#sql`
      UPDATE simpul_sql_watermark SET position = ${nextJson}, rows_published = rows_published + ${rows}, updated_at = now()
      WHERE source = ${source} AND position = ${this.#sql.json(previous as unknown as postgres.JSONValue)}`;
    return updated.count === 1;
  }

  /** Session advisory lock on the source: true when this process may poll it. */
  async tryLock(source: string): Promise<boolean> {
    this.#lockConnection ??= await this.#sql.reserve();
    const [row] = await this.#lockConnection<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(hashtextextended(${`simpul.sql.${source}`}, 0)) AS locked`;
    return row.locked;
  }

  async check(): Promise<void> {
    await this.#sql`SELECT 1`;
  }

  async close(): Promise<void> {
    this.#lockConnection?.release();
    await this.#sql.end({ timeout: 5 });
  }

  #migrate(): Promise<void> {
    this.#ready ??= this.#sql
      .begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtextextended('simpul.sql.migrate', 0))`;
        await tx`CREATE TABLE IF NOT EXISTS simpul_sql_watermark (
          source text PRIMARY KEY,
          position jsonb NOT NULL,
          rows_published bigint NOT NULL DEFAULT 0,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`;
      })
      .then(
        () => undefined,
        (err: unknown) => {
          this.#ready = undefined;
          throw err;
        },
      );
    return this.#ready;
  }
}
