import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import postgres from 'postgres';
import { Connection } from 'rabbitmq-client';
import { createTestVhost } from '../../src/bus/testing/test-vhost.ts';
import type { EmbeddedPostgres } from '../../src/embedded-db/index.ts';
import { startEmbeddedPostgres } from '../../src/embedded-db/index.ts';

/** One place the bus contract runs: a RabbitMQ vhost, or a database the database bus keeps its tables in. */
export interface BusTarget {
  url: string;
  /** Stores a message whose body is `body` verbatim in `queue`, as a foreign producer could. */
  injectRaw(queue: string, body: string): Promise<void>;
  /** Restarts what holds the messages when this test may (the embedded server), else nothing. */
  restart(): Promise<void>;
  /** Current URL (the embedded server may get another port on restart). */
  currentUrl(): string;
  remove(): Promise<void>;
}

export interface BusTargetKind {
  name: string;
  setUp(): Promise<BusTarget>;
}

const MACHINE_POSTGRES = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

async function injectIntoTables(url: string, queue: string, body: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql`INSERT INTO simpul_bus.messages (queue, body) VALUES (${queue}, ${body})`;
    await sql`SELECT pg_notify('simpul_bus', ${queue})`;
  } finally {
    await sql.end();
  }
}

export const rabbitTarget: BusTargetKind = {
  name: 'RabbitMQ',
  async setUp() {
    const vhost = await createTestVhost('simpul_contract');
    return {
      url: vhost.url,
      currentUrl: () => vhost.url,
      async injectRaw(queue, body) {
        const connection = new Connection(vhost.url);
        connection.on('error', () => undefined);
        const publisher = connection.createPublisher({ confirm: true });
        try {
          await publisher.send({ exchange: '', routingKey: queue, contentType: 'application/octet-stream', durable: true }, Buffer.from(body));
        } finally {
          await publisher.close();
          await connection.close();
        }
      },
      restart: async () => undefined,
      remove: () => vhost.remove(),
    };
  },
};

export const machineDatabaseTarget: BusTargetKind = {
  name: 'database bus on the machine PostgreSQL',
  async setUp() {
    const name = `simpul_bus_test_${randomBytes(5).toString('hex')}`;
    const admin = postgres(`${MACHINE_POSTGRES}/postgres`, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const url = `${MACHINE_POSTGRES}/${name}`;
    return {
      url,
      currentUrl: () => url,
      injectRaw: (queue, body) => injectIntoTables(url, queue, body),
      restart: async () => undefined,
      async remove() {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  },
};

export const embeddedDatabaseTarget: BusTargetKind = {
  name: 'database bus on an embedded PostgreSQL',
  async setUp() {
    const dir = await mkdtemp(path.join(tmpdir(), 'simpul-bus-embedded-'));
    await chmod(dir, 0o755); // the server runs as "postgres" when the tests run as root
    const logger = pino({ level: 'silent' });
    let server: EmbeddedPostgres = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), logger });
    return {
      url: server.url,
      currentUrl: () => server.url,
      injectRaw: (queue, body) => injectIntoTables(server.url, queue, body),
      async restart() {
        await server.stop();
        server = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), logger });
      },
      async remove() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};
