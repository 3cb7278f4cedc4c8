import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import mysql from 'mysql2/promise';
import postgres from 'postgres';

export type TestDriver = 'mysql' | 'postgres' | 'mssql';

/** The source-agnostic tests run for these; SQL Server too when TEST_MSSQL_URL points at one (compose profile `mssql`). */
export const TEST_DRIVERS: TestDriver[] = ['mysql', 'postgres', ...(process.env.TEST_MSSQL_URL ? (['mssql'] as const) : [])];

const MYSQL_SERVER = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const PG_SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

/** A legacy database of its own (a fresh database on the machine's server), dropped at the end. */
export interface LegacyTestDb {
  driver: TestDriver;
  url: string;
  /** Host and port of the server, for a proxy in front of it. */
  host: string;
  port: number;
  /** Runs statements (test literals inlined; no parameters). */
  exec(statement: string): Promise<void>;
  /** The type of a microsecond timestamp column. */
  timestampType: string;
  drop(): Promise<void>;
}

export async function createLegacyDb(driver: TestDriver): Promise<LegacyTestDb> {
  const name = `simpul_legacy_${randomBytes(5).toString('hex')}`;
  if (driver === 'mysql') {
    const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
    await admin.query(`CREATE DATABASE \`${name}\``);
    await admin.end();
    const server = new URL(MYSQL_SERVER);
    const pool = mysql.createPool({ uri: `${MYSQL_SERVER}/${name}`, connectionLimit: 2, multipleStatements: false });
    return {
      driver,
      url: `${MYSQL_SERVER}/${name}`,
      host: server.hostname,
      port: Number(server.port || 3306),
      timestampType: 'DATETIME(6)',
      exec: async (statement) => {
        await pool.query(statement);
      },
      drop: async () => {
        await pool.end();
        const dropper = await mysql.createConnection({ uri: MYSQL_SERVER });
        await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await dropper.end();
      },
    };
  }
  if (driver === 'postgres') {
    const admin = postgres(`${PG_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    await admin.end();
    const server = new URL(PG_SERVER);
    const sql = postgres(`${PG_SERVER}/${name}`, { max: 2, onnotice: () => undefined });
    return {
      driver,
      url: `${PG_SERVER}/${name}`,
      host: server.hostname,
      port: Number(server.port || 5432),
      timestampType: 'TIMESTAMP(6)',
      exec: async (statement) => {
        await sql.unsafe(statement);
      },
      drop: async () => {
        await sql.end();
        const dropper = postgres(`${PG_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
        await dropper.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await dropper.end();
      },
    };
  }
  const { default: mssql } = await import('mssql');
  const serverUrl = process.env.TEST_MSSQL_URL as string;
  const admin = new mssql.ConnectionPool(serverUrl);
  await admin.connect();
  await new mssql.Request(admin).query(`CREATE DATABASE [${name}]`);
  await admin.close();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new mssql.ConnectionPool(url.toString());
  await pool.connect();
  return {
    driver,
    url: url.toString(),
    host: url.hostname,
    port: Number(url.port || 1433),
    timestampType: 'DATETIME2(6)',
    exec: async (statement) => {
      await new mssql.Request(pool).query(statement.replace(/DROP COLUMN/i, 'DROP COLUMN').replace(/ADD COLUMN/i, 'ADD'));
    },
    drop: async () => {
      await pool.close();
      const dropper = new mssql.ConnectionPool(serverUrl);
      await dropper.connect();
      await new mssql.Request(dropper).query(`ALTER DATABASE [${name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${name}]`);
      await dropper.close();
    },
  };
}

/** A TCP proxy in front of a database: `stop()` cuts every connection and refuses new ones (the database is "down"), `start()` brings it back on the same port. */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target.port, this.#target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server?.close(resolve));
    this.#server = undefined;
  }
}

/** The legacy URL with the proxy's port instead of the server's. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}
