/**
 * The embedded PostgreSQL of appliance mode, started for real on temp dirs: password auth with the
 * generated password, 127.0.0.1 only, fsync on, data kept across restarts, and starts that follow
 * a crash (an orphaned server, a stale lock file whose pid now belongs to someone else).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hydrateSymlinks, readPostmasterPid, startEmbeddedPostgres } from '../src/embedded-db/index.ts';
import type { EmbeddedPostgres } from '../src/embedded-db/index.ts';

const logger = pino({ level: 'silent' });
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'simpul-embedded-'));
  await chmod(root, 0o755); // reachable by "postgres" when the tests run as root
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function query<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  try {
    return await run(sql);
  } finally {
    await sql.end();
  }
}

describe('startEmbeddedPostgres', () => {
  let server: EmbeddedPostgres;
  const dir = () => path.join(root, 'pg');

  it('creates a cluster with the simpul database, a 0600 password file, fsync on, 127.0.0.1 only', async () => {
    server = await startEmbeddedPostgres({ dir: dir(), logger });
    expect(server.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/simpul$/);
    expect((await stat(path.join(dir(), 'password'))).mode & 0o777).toBe(0o600);
    const settings = await query(server.url, (sql) => sql`SELECT current_database() AS db, current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen, current_setting('synchronous_commit') AS sync`);
    expect(settings[0]).toEqual({ db: 'simpul', fsync: 'on', listen: '127.0.0.1', sync: 'on' });
    await query(server.url, (sql) => sql`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart')`.simple());
  });

  it('refuses a wrong password', async () => {
    const wrong = server.url.replace(/:[^:@/]+@/, ':not-the-password@');
    await expect(query(wrong, (sql) => sql`SELECT 1`)).rejects.toThrow(/password authentication failed/);
  });

  it('keeps the data across a clean restart', async () => {
    await server.stop();
    expect(existsSync(path.join(server.pgdata, 'postmaster.pid'))).toBe(false);
    server = await startEmbeddedPostgres({ dir: dir(), logger });
    expect(await query(server.url, (sql) => sql`SELECT v FROM kept`)).toEqual([{ v: 'before restart' }]);
  });

  it('stops a server orphaned by a killed parent and starts its own on the same data', async () => {
    const orphanPid = server.pid; // never stopped by us: as after a kill -9 of simpul
    const next = await startEmbeddedPostgres({ dir: dir(), logger });
    expect(next.pid).not.toBe(orphanPid);
    expect(() => process.kill(orphanPid, 0)).toThrow();
    expect(await query(next.url, (sql) => sql`SELECT v FROM kept`)).toEqual([{ v: 'before restart' }]);
    server = next;
  });

  it('starts over a stale postmaster.pid whose pid is now another process', async () => {
    await server.stop();
    const sleeper = spawn('sleep', ['30']);
    try {
      await writeFile(path.join(server.pgdata, 'postmaster.pid'), `${sleeper.pid}\n${server.pgdata}\n0\n5432\n\n127.0.0.1\n0 0\nready   \n`);
      server = await startEmbeddedPostgres({ dir: dir(), logger });
      expect((await readPostmasterPid(server.pgdata))?.pid).toBe(server.pid);
      expect(await query(server.url, (sql) => sql`SELECT count(*)::int AS n FROM kept`)).toEqual([{ n: 1 }]);
    } finally {
      sleeper.kill();
      await server.stop();
    }
  });

  it('says what to fix when the password file was emptied', async () => {
    const other = path.join(root, 'emptied');
    await mkdir(other, { recursive: true });
    await writeFile(path.join(other, 'password'), '', { mode: 0o600 });
    await expect(startEmbeddedPostgres({ dir: other, logger })).rejects.toThrow(/password.*is empty/);
  });
});

describe('hydrateSymlinks', () => {
  it('recreates the shared-library links npm could not pack, and nothing outside the package', async () => {
    const native = path.join(root, 'pkg', 'native');
    await mkdir(path.join(native, 'lib'), { recursive: true });
    await writeFile(path.join(native, 'lib', 'libpq.so.5.18'), 'lib');
    await writeFile(
      path.join(native, 'pg-symlinks.json'),
      JSON.stringify([
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
        { source: 'native/lib/libpq.so.5.18', target: '../../escape' },
      ]),
    );
    expect(await hydrateSymlinks(native)).toEqual([path.join(native, 'lib', 'libpq.so.5')]);
    expect((await lstat(path.join(native, 'lib', 'libpq.so.5'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(native, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect(await readFile(path.join(native, 'lib', 'libpq.so.5'), 'utf8')).toBe('lib');
    expect(await hydrateSymlinks(native)).toEqual([]); // idempotent
  });
});
