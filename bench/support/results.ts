import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

/** Appends one benchmark run (a heading, the exact command, a table) to bench/RESULTS.md. */
export async function recordResults(title: string, command: string, table: string, notes = ''): Promise<void> {
  let existing = '';
  try {
    existing = await readFile(RESULTS, 'utf8');
  } catch {
    await writeFile(RESULTS, '# Benchmark results\n\nEach section is one run, newest last, with the exact command that produced it.\n');
  }
  const machine = `${(await import('node:os')).cpus().length} cores, Node ${process.version}`;
  const section = `\n## ${title} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n\nCommand: \`${command}\` (${machine})\n\n${table}\n${notes ? `\n${notes}\n` : ''}`;
  await appendFile(RESULTS, existing.endsWith('\n') || existing === '' ? section : `\n${section}`);
}

export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}
