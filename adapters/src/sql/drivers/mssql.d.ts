/** The part of mssql (no published types in this install) the SQL Server driver uses. */
declare module 'mssql' {
  interface ConnectionConfig {
    server: string;
    port?: number;
    user?: string;
    password?: string;
    database?: string;
    options?: { trustServerCertificate?: boolean; encrypt?: boolean };
    pool?: { max?: number };
    requestTimeout?: number;
  }
  interface RecordSet<T> extends Array<T> {
    columns: Record<string, { name: string }>;
  }
  interface QueryResult<T> {
    recordset: RecordSet<T>;
  }
  class ConnectionPool {
    constructor(config: ConnectionConfig | string);
    connect(): Promise<ConnectionPool>;
    close(): Promise<void>;
  }
  class Request {
    constructor(pool: ConnectionPool);
    cancel(): void;
    input(name: string, value: unknown): Request;
    query<T>(text: string): Promise<QueryResult<T>>;
  }
  const mssql: { ConnectionPool: typeof ConnectionPool; Request: typeof Request };
  export default mssql;
  export { ConnectionPool, Request };
}
