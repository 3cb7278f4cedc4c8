import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

const ROOT = new URL('../../../', import.meta.url).pathname;
const SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

export interface HubProcess {
  /** Base URL ending in `/`. */
  url: string;
  databaseUrl: string;
  adminClientId: string;
  adminClientSecret: string;
  sql: postgres.Sql;
  stop(): Promise<void>;
}

/**
 * A real `simpul hub` process on a fresh database and blob directory, for tests of parts that talk
 * to the hub over HTTP only (adapters and bots never import the hub's code).
 */
export async function startHubProcess(env: Record<string, string> = {}): Promise<HubProcess> {
  const dbName = `simpul_adapters_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  const databaseUrl = `${SERVER}/${dbName}`;
  const storage = await mkdtemp(join(tmpdir(), 'simpul-hub-blobs-'));
  const port = await freePort();
  const adminClientId = `test-admin-${randomBytes(4).toString('hex')}`;
  const adminClientSecret = randomBytes(24).toString('hex');
  const child: ChildProcess = spawn(process.execPath, ['bin/simpul.ts', 'hub'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SIMPUL_HUB_PORT: String(port),
      SIMPUL_STORAGE_DIR: storage,
      SIMPUL_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      SIMPUL_ADMIN_CLIENT_ID: adminClientId,
      SIMPUL_ADMIN_CLIENT_SECRET: adminClientSecret,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  for (let i = 0; ; i++) {
    if (await fetch(`${url}healthz`).then((r) => r.ok, () => false)) break;
    if (child.exitCode !== null || i > 300) throw new Error(`the hub did not start (exit code ${child.exitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => undefined });
  return {
    url,
    databaseUrl,
    adminClientId,
    adminClientSecret,
    sql,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await sql.end();
      const dropper = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => undefined });
      await dropper.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await dropper.end();
      await rm(storage, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
