import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';

/** What `postmaster.pid` says (PostgreSQL's lock file: pid, data dir, start time, port, socket dir, listen address, shmem key, status). */
export interface PostmasterFacts {
  pid: number;
  port: number | undefined;
  status: string | undefined;
}

export async function readPostmasterPid(pgdata: string): Promise<PostmasterFacts | undefined> {
  const file = path.join(pgdata, 'postmaster.pid');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isSafeInteger(pid) || pid === 0) return undefined;
  const port = Number.parseInt(lines[3] ?? '', 10);
  return { pid: Math.abs(pid), port: Number.isSafeInteger(port) ? port : undefined, status: lines[7]?.trim() || undefined };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On Linux, whether `pid` is a postgres server for `pgdata` (a reused pid is not). Elsewhere: alive = ours. */
async function isPostmasterOf(pid: number, pgdata: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline === undefined) return platformHasProc() ? false : isAlive(pid);
  const args = cmdline.split('\0');
  return path.basename(args[0] ?? '').startsWith('postgres') && args.includes(pgdata);
}

function platformHasProc(): boolean {
  return existsSync('/proc/self/cmdline');
}

export type StaleLockOutcome = 'none' | 'stale-removed' | 'orphan-stopped' | 'left-to-postgres';

/**
 * Makes the data dir startable after a crash of the process that ran the server:
 * - no lock file, or one whose pid is dead: PostgreSQL handles that itself;
 * - the pid is alive but is not a postgres for this data dir (pid reused after a reboot, common in
 *   containers): PostgreSQL would refuse to start, so the stale file is removed;
 * - our own server is still running, orphaned by a `kill -9` of its parent: it is asked to shut
 *   down (SIGINT, fast shutdown: open transactions roll back, committed data stays), then the
 *   caller starts a fresh one it owns.
 */
export async function clearStaleServer(pgdata: string, timeoutMs = 60_000): Promise<StaleLockOutcome> {
  const facts = await readPostmasterPid(pgdata);
  if (!facts) return 'none';
  if (!isAlive(facts.pid)) return 'left-to-postgres';
  if (!(await isPostmasterOf(facts.pid, pgdata))) {
    await rm(path.join(pgdata, 'postmaster.pid'), { force: true });
    return 'stale-removed';
  }
  process.kill(facts.pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(facts.pid)) {
    if (Date.now() > deadline) {
      throw new Error(`an earlier PostgreSQL server (pid ${facts.pid}) on ${pgdata} did not stop within ${timeoutMs} ms; stop it (kill -INT ${facts.pid}) and start again`);
    }
    await sleep(100);
  }
  return 'orphan-stopped';
}
