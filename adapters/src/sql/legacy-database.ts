import type { SqlSourceConfig } from '@simpul/infra';
import type { BatchStatement } from './batch-query.ts';

export interface QueryResult {
  /** Column names as the database returned them (also when there are no rows). */
  columns: string[];
  rows: Array<Record<string, unknown>>;
}

/**
 * One legacy database, read only. Times and dates come back as the database's text (not JS
 * Dates, which would drop microseconds and move a watermark), big numbers as text.
 */
export interface LegacyDatabase {
  /** Runs one batch statement inside a read-only transaction (where the database has them), cancelled after `timeoutMs`. */
  read(statement: BatchStatement, timeoutMs: number): Promise<QueryResult>;
  close(): Promise<void>;
}

export type LegacyDatabaseConnection = Pick<SqlSourceConfig, 'driver' | 'url' | 'host' | 'port' | 'user' | 'password' | 'database' | 'trustServerCertificate'>;

export async function openLegacyDatabase(source: LegacyDatabaseConnection): Promise<LegacyDatabase> {
  switch (source.driver) {
    case 'mysql':
      return (await import('./drivers/mysql-database.ts')).openMysql(source);
    case 'postgres':
      return (await import('./drivers/postgres-database.ts')).openPostgres(source);
    case 'mssql':
      return (await import('./drivers/mssql-database.ts')).openMssql(source);
  }
}

/** Driver error codes that mean "the query names something the database no longer has": schema drift, not an outage. */
export function isSchemaError(err: unknown): boolean {
  const e = err as { code?: unknown; number?: unknown; errno?: unknown };
  return (
    ['ER_BAD_FIELD_ERROR', 'ER_NO_SUCH_TABLE', '42703', '42P01'].includes(String(e.code)) ||
    e.number === 207 ||
    e.number === 208 ||
    e.errno === 1054 ||
    e.errno === 1146
  );
}
