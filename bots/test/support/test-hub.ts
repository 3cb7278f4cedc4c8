import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MedplumClient } from '@medplum/core';
import * as hubApi from '@simpul/fhir-hub';
import { parseConfig } from '@simpul/infra';
import pino from 'pino';
import postgres from 'postgres';

/**
 * A real hub for the bots' tests, reached over HTTP like in production: a database of its own, a
 * blob directory of its own, listening on a free loopback port. `relay: true` runs the outbox
 * relay in-process (`runHub`); without it the test brings its own relay (a child `simpul hub`).
 * Bots reach it only over FHIR REST; the test itself also uses the public `@simpul/fhir-hub` entry.
 */
export const TEST_DATABASE_SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface BotsTestHub {
  /** Base URL ending in `/`. */
  url: string;
  databaseUrl: string;
  sql: postgres.Sql;
  /** Makes a service client (client credentials) with the given SMART scopes. */
  client(name: string, scope?: string): Promise<ClientCredentials>;
  /** Signed in with a `system/*.*` client. */
  medplum: MedplumClient;
  /** The hub's own repository (writes through it skip HTTP and auth, not the outbox): for bulk writes. */
  repo: hubApi.PostgresRepository;
  /**
   * Resolves once the hub matches writes against these Subscriptions: a new Subscription reaches
   * the hub's cache a moment after its write commits (NOTIFY, then a reload).
   */
  subscriptionsLive(ids: readonly string[], timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestHub(options: { relay?: boolean; busUrl?: string; runOptions?: hubApi.RunHubOptions } = {}): Promise<BotsTestHub> {
  const name = `simpul_bots_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(`${TEST_DATABASE_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const databaseUrl = `${TEST_DATABASE_SERVER}/${name}`;
  const storageDir = await mkdtemp(join(tmpdir(), 'simpul-bots-blobs-'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => undefined });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;

  let closeHub: () => Promise<void>;
  let repo: hubApi.PostgresRepository;
  let cache: hubApi.Hub['subscriptions'];
  if (options.relay) {
    const config = parseConfig({
      hub: { port, host: '127.0.0.1', baseUrl: url },
      database: { url: databaseUrl, maxConnections: 10 },
      bus: { url: options.busUrl },
      storage: { dir: storageDir },
    });
    const running = await hubApi.runHub(config, logger, options.runOptions);
    repo = running.hub.repo;
    cache = running.hub.subscriptions;
    closeHub = () => running.close();
  } else {
    const hubSql = hubApi.connectDatabase({ url: databaseUrl, maxConnections: 10 });
    await hubApi.migrate(hubSql);
    const hub = await hubApi.buildHub({ sql: hubSql, logger, baseUrl: url, storageDir, maxBodyBytes: 4 << 20, maxBinaryBytes: 4 << 20, maxQueryStringLength: 4096 });
    await hub.app.listen({ port, host: '127.0.0.1' });
    repo = hub.repo;
    cache = hub.subscriptions;
    closeHub = async () => {
      await hub.app.close();
      await hubSql.end({ timeout: 5 });
    };
  }

  const client = (clientName: string, scope = 'system/*.*') => createServiceClient(sql, clientName, scope);
  const credentials = await client('bots test');
  const medplum = new MedplumClient({ baseUrl: url, cacheTime: 0, authCredentialsMethod: 'header', refreshGracePeriod: 30_000 });
  await medplum.startClientLogin(credentials.clientId, credentials.clientSecret);

  return {
    url,
    databaseUrl,
    sql,
    client,
    medplum,
    repo,
    async subscriptionsLive(ids, timeoutMs = 15_000) {
      const started = Date.now();
      let forced = false;
      for (;;) {
        const live = new Set(['Patient', 'Practitioner', 'Observation', 'Encounter', 'Condition', 'ImagingStudy', 'ServiceRequest'].flatMap((type) => cache.forType(type).map((a) => a.subscription.id)));
        if (ids.every((id) => live.has(id))) return;
        if (Date.now() - started > timeoutMs) throw new Error(`Subscriptions ${ids.join(', ')} not live in the hub's cache after ${timeoutMs} ms`);
        if (!forced && Date.now() - started > 2_000) {
          // Known hub race (reported): a NOTIFY that arrives while a reload is running is folded into
          // that reload, whose query may predate the write. Say so, and reload once more.
          process.stderr.write(`test hub: Subscription(s) ${ids.join(', ')} still not in the hub's cache after 2 s; forcing a reload\n`);
          forced = true;
          await cache.reload();
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await closeHub();
      await sql.end({ timeout: 5 });
      const dropper = postgres(`${TEST_DATABASE_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
      await dropper.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** A service client made the way `simpul client create` makes one; the secret is returned only here. */
async function createServiceClient(sql: postgres.Sql, name: string, scope: string): Promise<ClientCredentials> {
  const { client, secret } = await hubApi.createClient(sql as never, { name, scope });
  if (!secret) throw new Error('the hub made a client without a secret');
  return { clientId: client.clientId, clientSecret: secret };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
