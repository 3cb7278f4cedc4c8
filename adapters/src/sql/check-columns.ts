import type { SqlColumnType } from '@simpul/infra';
import { SqlSourceError } from './sql-source-error.ts';

/** Every column the poller needs (watermark column and key) and every expected column is in the result. */
export function checkColumnsPresent(source: string, columns: readonly string[], required: readonly string[]): void {
  const present = new Set(columns);
  for (const column of required) {
    if (!present.has(column)) {
      throw new SqlSourceError({
        reason: 'schema-drift',
        source,
        column,
        message: `the query no longer returns column "${column}" (it returns: ${columns.join(', ') || 'no columns'}); the watermark stays where it is until the query or sql.sources[].expectedColumns is fixed`,
      });
    }
  }
}

/** Why `value` does not fit `type`, or undefined when it does (null always fits: it says "no value"). */
export function typeMismatch(value: unknown, type: SqlColumnType): string | undefined {
  if (value === null || value === undefined || type === 'any') return undefined;
  const fits = (() => {
    switch (type) {
      case 'string':
        return typeof value === 'string';
      case 'number':
        return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value));
      case 'integer':
        return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value)) || typeof value === 'bigint';
      case 'boolean':
        return typeof value === 'boolean' || value === 0 || value === 1;
      case 'timestamp':
        return value instanceof Date || (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(value));
      case 'date':
        return value instanceof Date || (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value));
    }
  })();
  return fits ? undefined : `expected ${type}, found ${describe(value)}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Buffer.isBuffer(value)) return `binary (${value.length} bytes)`;
  if (value instanceof Date) return 'a date-time';
  return `${typeof value} ${JSON.stringify(value)}`;
}
