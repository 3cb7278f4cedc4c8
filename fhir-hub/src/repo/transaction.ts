import type { Sql, TxSql } from '../db/connect.ts';

/** SQLSTATEs that mean "run the whole transaction again": serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
/** Concurrent conditional writes of one type conflict often under SSI (index pages are locked coarsely): be patient. */
const MAX_ATTEMPTS = 16;

export interface TransactionSettings {
  serializable: boolean;
}

/**
 * Runs `work` in one database transaction and retries it from the start when PostgreSQL aborts it
 * for a serialization failure or deadlock (conditional writes run serializable, so two concurrent
 * "create if none exists" calls cannot both create).
 */
export async function runInTransaction<T>(pool: Sql, settings: TransactionSettings, work: (tx: TxSql) => Promise<T>): Promise<T> {
  const isolation = settings.serializable ? 'isolation level serializable' : 'isolation level read committed';
  for (let attempt = 1; ; attempt++) {
    try {
      return (await pool.begin(isolation, (tx) => work(tx))) as T;
    } catch (err) {
      const code = findSqlState(err);
      if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err;
      const backoffMs = Math.random() * Math.min(500, 5 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}

function findSqlState(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
