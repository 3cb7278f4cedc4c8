import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS = 100;

/** CPU seconds (user + system) used so far by the given pids. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended; its time is gone with it
    }
  }
  return ticks / CLOCK_TICKS;
}

/**
 * CPU seconds used by a process tree that forks short-lived children (PostgreSQL's backends):
 * the root's own time plus the time of children it has reaped (cutime/cstime) plus its live
 * children's, so a backend that exits during the measurement is still counted.
 */
export function treeCpuSeconds(rootName: string): number {
  const pids = pidsByName(rootName);
  const parents = new Map(pids.map((pid) => [pid, parentOf(pid)]));
  const roots = pids.filter((pid) => !parents.has(parents.get(pid) ?? -1));
  let ticks = 0;
  for (const root of roots) {
    const fields = statFields(root);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  const children = pids.filter((pid) => !roots.includes(pid));
  return ticks / CLOCK_TICKS + cpuSeconds(children);
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number {
  return Number(statFields(pid)?.[1] ?? -1);
}

/** Pids of every process whose command name is `name` (e.g. `postgres`). */
export function pidsByName(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return pids;
}

/** Measures CPU use of the given process groups over `work`, as % of one core. */
/** A group is either pids to sample or a function that already gives CPU seconds (e.g. treeCpuSeconds). */
export async function measureCpu<T>(
  groups: Record<string, () => number[] | number>,
  work: () => Promise<T>,
): Promise<{ result: T; cpuPercent: Record<string, number>; seconds: number }> {
  const sample = (group: () => number[] | number): number => {
    const value = group();
    return Array.isArray(value) ? cpuSeconds(value) : value;
  };
  const before = Object.fromEntries(Object.entries(groups).map(([k, group]) => [k, sample(group)]));
  const start = process.hrtime.bigint();
  const result = await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuPercent = Object.fromEntries(
    Object.entries(groups).map(([k, group]) => [k, Math.round(((sample(group) - before[k]) / seconds) * 100)]),
  );
  return { result, cpuPercent, seconds };
}
