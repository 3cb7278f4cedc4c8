import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connectDatabase, type Sql } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';

/** Server URL without a database; TEST_DATABASE_SERVER overrides it (CI and dev use loopback trust auth). */
export const TEST_DATABASE_SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  url: string;
  name: string;
  sql: Sql;
  drop(): Promise<void>;
}

/** Creates a fresh, migrated database for one test file and drops it afterwards. */
export async function createTestDatabase(prefix = 'simpul_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(`${TEST_DATABASE_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = `${TEST_DATABASE_SERVER}/${name}`;
  const sql = connectDatabase({ url, maxConnections: 10, applicationName: 'simpul-test' });
  await migrate(sql);
  return {
    url,
    name,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const dropper = postgres(`${TEST_DATABASE_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
      await dropper.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
    },
  };
}
