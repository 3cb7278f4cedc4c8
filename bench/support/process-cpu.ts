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
export async function measureCpu<T>(
  groups: Record<string, () => number[]>,
  work: () => Promise<T>,
): Promise<{ result: T; cpuPercent: Record<string, number>; seconds: number }> {
  const before = Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, cpuSeconds(pids())]));
  const start = process.hrtime.bigint();
  const result = await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuPercent = Object.fromEntries(
    Object.entries(groups).map(([k, pids]) => [k, Math.round(((cpuSeconds(pids()) - before[k]) / seconds) * 100)]),
  );
  return { result, cpuPercent, seconds };
}
