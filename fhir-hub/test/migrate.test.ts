import postgres from 'postgres';
import { describe, expect, test } from 'vitest';
import { connectDatabase } from '../src/db/connect.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { TEST_DATABASE_SERVER } from './support/test-database.ts';

describe('migrations', () => {
  test('two replicas starting at once apply each migration exactly once', async () => {
    const name = `simpul_migrate_${Date.now().toString(36)}`;
    const admin = postgres(`${TEST_DATABASE_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    const a = connectDatabase({ url: `${TEST_DATABASE_SERVER}/${name}`, maxConnections: 2 });
    const b = connectDatabase({ url: `${TEST_DATABASE_SERVER}/${name}`, maxConnections: 2 });
    try {
      const [appliedA, appliedB] = await Promise.all([migrate(a), migrate(b)]);
      const all = (await listMigrations()).map((m) => m.version);
      expect([...appliedA, ...appliedB].sort()).toEqual(all.sort());
      const rows = await a<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`;
      expect(rows.map((r) => r.version)).toEqual(all.sort((x, y) => x - y));
      expect(await migrate(a)).toEqual([]);
    } finally {
      await a.end();
      await b.end();
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
