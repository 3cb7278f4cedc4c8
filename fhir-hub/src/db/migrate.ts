import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql } from './connect.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Any constant works; it only has to be the same for every replica. */
const MIGRATION_LOCK_KEY = 7_140_202_611;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const version = Number.parseInt(file.split('_')[0], 10);
    if (migrations.some((m) => m.version === version)) {
      throw new Error(`Two migrations share version ${version} in ${dir}: rename one of them`);
    }
    migrations.push({ version, name: file, sql: await readFile(dir + file, 'utf8') });
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded, in order, each in its own transaction.
 * A session-level advisory lock makes concurrent start-ups (several replicas) wait for each other,
 * so each migration runs exactly once.
 */
export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await listMigrations(dir);
  const reserved = await sql.reserve();
  const applied: number[] = [];
  try {
    await reserved`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await reserved`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    const done = new Set((await reserved<{ version: number }[]>`SELECT version FROM schema_migrations`).map((r) => r.version));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await reserved`BEGIN`;
      try {
        await reserved.unsafe(m.sql);
        await reserved`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
        await reserved`COMMIT`;
      } catch (err) {
        await reserved`ROLLBACK`;
        throw new Error(`Migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
    }
  } finally {
    await reserved`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => undefined);
    reserved.release();
  }
  return applied;
}
