import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;
export type TxSql = postgres.TransactionSql<Record<string, never>>;
/** Either the pool or a transaction: code that only issues queries accepts both. */
export type Queryable = Sql | TxSql;

export interface DatabaseOptions {
  url: string;
  maxConnections?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

export function connectDatabase(options: DatabaseOptions): Sql {
  return postgres(options.url, {
    max: options.maxConnections ?? 20,
    onnotice: () => undefined,
    connection: { application_name: options.applicationName ?? 'simpul-hub' },
    // Resource JSON is stored as text and served as-is; no type parsing needed for it.
    transform: { undefined: null },
  });
}
