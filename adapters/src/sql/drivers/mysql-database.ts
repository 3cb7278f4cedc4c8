import mysql from 'mysql2/promise';
import type { LegacyDatabase, LegacyDatabaseConnection } from '../legacy-database.ts';

/** MySQL and MariaDB through mysql2: dates as text, big integers as text, one connection per read. */
export function openMysql(source: LegacyDatabaseConnection): LegacyDatabase {
  const common = { dateStrings: true, supportBigNumbers: true, bigNumberStrings: false, connectionLimit: 2, connectTimeout: 10_000, timezone: 'Z' } as const;
  const pool = source.url
    ? mysql.createPool({ uri: source.url, ...common })
    : mysql.createPool({ host: source.host, port: source.port ?? 3306, user: source.user, password: source.password, database: source.database, ...common });
  return {
    async read(statement, timeoutMs) {
      const connection = await pool.getConnection();
      let broken = false;
      try {
        await connection.query('START TRANSACTION READ ONLY');
        try {
          const [rows, fields] = await connection.query({ sql: statement.text, values: statement.params, timeout: timeoutMs });
          return { columns: (fields ?? []).map((field) => field.name), rows: rows as Array<Record<string, unknown>> };
        } finally {
          await connection.query('COMMIT');
        }
      } catch (err) {
        // A timed-out or broken connection must not go back to the pool.
        broken = true;
        connection.destroy();
        throw err;
      } finally {
        if (!broken) connection.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
