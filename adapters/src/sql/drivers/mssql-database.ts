import mssql from 'mssql';
import type { LegacyDatabase, LegacyDatabaseConnection } from '../legacy-database.ts';

/**
 * SQL Server through mssql (tedious). SQL Server has no read-only transaction: give the poller a
 * login with read rights only. datetime values come back as JS Dates (millisecond precision):
 * for a watermark, prefer a rowversion or bigint column, or `CONVERT(varchar(27), col, 121)` in the query.
 */
export async function openMssql(source: LegacyDatabaseConnection): Promise<LegacyDatabase> {
  const pool = source.url
    ? new mssql.ConnectionPool(source.url)
    : new mssql.ConnectionPool({
        server: source.host ?? 'localhost',
        port: source.port ?? 1433,
        user: source.user,
        password: source.password,
        database: source.database,
        options: { trustServerCertificate: source.trustServerCertificate, encrypt: true },
        pool: { max: 2 },
      });
  await pool.connect();
  return {
    async read(statement, timeoutMs) {
      const request = new mssql.Request(pool);
      statement.params.forEach((value, index) => request.input(`p${index + 1}`, value));
      const timer = setTimeout(() => request.cancel(), timeoutMs);
      let result;
      try {
        result = await request.query<Record<string, unknown>>(statement.text);
      } finally {
        clearTimeout(timer);
      }
      const columns = Object.keys(result.recordset?.columns ?? {});
      return { columns, rows: [...(result.recordset ?? [])] };
    },
    async close() {
      await pool.close();
    },
  };
}
