import postgres from 'postgres';
import type { LegacyDatabase, LegacyDatabaseConnection } from '../legacy-database.ts';

/** PostgreSQL through postgres.js: date, timestamp and timestamptz as the server's text. */
export function openPostgres(source: LegacyDatabaseConnection): LegacyDatabase {
  const options = {
    max: 2,
    connect_timeout: 10,
    idle_timeout: 60,
    onnotice: () => undefined,
    types: { timeAsText: { to: 1114, from: [1082, 1114, 1184], serialize: (value: unknown) => String(value), parse: (value: string) => value } },
  };
  const sql = source.url
    ? postgres(source.url, options)
    : postgres({ host: source.host, port: source.port ?? 5432, username: source.user, password: source.password, database: source.database, ...options });
  return {
    async read(statement, timeoutMs) {
      return sql.begin('read only', async (tx) => {
        await tx.unsafe(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
        const result = await tx.unsafe(statement.text, statement.params);
        return { columns: result.columns.map((column) => column.name), rows: [...result] as Array<Record<string, unknown>> };
      });
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
