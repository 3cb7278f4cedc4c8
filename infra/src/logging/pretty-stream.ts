import type { DestinationStream } from 'pino';

/**
 * A destination that turns pino's JSON lines into one readable line each, for a terminal:
 * `12:00:01.234 INFO  hub [3f2a…]: listening {"port":8103}`. Written here because pino-pretty is
 * not a dependency; log shipping should keep the JSON form.
 */
export function prettyStream(output: { write(text: string): unknown }): DestinationStream {
  return {
    write(line: string) {
      output.write(`${formatLine(line)}\n`);
    },
  };
}

const HIDDEN = new Set(['time', 'level', 'name', 'msg', 'traceId', 'pid', 'hostname']);

export function formatLine(line: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    // Not one of pino's JSON lines: show it as it came.
    return line.trimEnd();
  }
  if (typeof entry !== 'object' || entry === null) return line.trimEnd();
  const fields = entry as Record<string, unknown>;
  const time = typeof fields.time === 'string' ? fields.time.slice(11, 23) : String(fields.time ?? '');
  const level = String(fields.level ?? '').toUpperCase().padEnd(5);
  const name = fields.name ? ` ${String(fields.name)}` : '';
  const trace = fields.traceId ? ` [${String(fields.traceId).slice(0, 8)}]` : '';
  const rest = Object.fromEntries(Object.entries(fields).filter(([key]) => !HIDDEN.has(key)));
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${time} ${level}${name}${trace}: ${String(fields.msg ?? '')}${extra}`;
}
