import type { SqlDriver } from '@simpul/infra';

/** Where the last confirmed batch ended: the watermark column's value and the tie-breaker key of its last row. */
export interface WatermarkPosition {
  value: string | number;
  key: string | number;
}

export interface BatchSpec {
  query: string;
  column: string;
  key: string;
  /** Undefined on the first poll: read from the beginning. */
  after?: WatermarkPosition;
  limit: number;
}

export interface BatchStatement {
  text: string;
  /** Positional values (`$n` for PostgreSQL, `?` for MySQL) or, for SQL Server, the values of `@p1`, `@p2`... in order. */
  params: Array<string | number>;
}

const ALIAS = 'simpul_src';

/**
 * The source's query wrapped as a derived table, filtered on the composite watermark
 * `(column, key) > (last value, last key)`, ordered by (column, key) and limited to one batch. Ties
 * on the column are broken by the key, so no row is skipped or read twice. Written as
 * `c > v OR (c = v AND k > k0)` because SQL Server has no row-value comparison.
 * Column names are plain identifiers (checked by the config schema), quoted per dialect.
 */
export function batchStatement(dialect: SqlDriver, spec: BatchSpec): BatchStatement {
  const quote = dialect === 'mysql' ? (name: string) => `\`${name}\`` : dialect === 'mssql' ? (name: string) => `[${name}]` : (name: string) => `"${name}"`;
  const column = `${ALIAS}.${quote(spec.column)}`;
  const key = `${ALIAS}.${quote(spec.key)}`;
  const query = spec.query.trim().replace(/;\s*$/, '');
  let where = '';
  let params: Array<string | number> = [];
  if (spec.after) {
    if (dialect === 'postgres') {
      where = ` WHERE (${column} > $1 OR (${column} = $1 AND ${key} > $2))`;
      params = [spec.after.value, spec.after.key];
    } else if (dialect === 'mysql') {
      where = ` WHERE (${column} > ? OR (${column} = ? AND ${key} > ?))`;
      params = [spec.after.value, spec.after.value, spec.after.key];
    } else {
      where = ` WHERE (${column} > @p1 OR (${column} = @p1 AND ${key} > @p2))`;
      params = [spec.after.value, spec.after.key];
    }
  }
  const order = ` ORDER BY ${column}, ${key}`;
  const text =
    dialect === 'mssql'
      ? `SELECT TOP (${spec.limit}) * FROM (${query}) AS ${ALIAS}${where}${order}`
      : `SELECT * FROM (${query}) AS ${ALIAS}${where}${order} LIMIT ${spec.limit}`;
  return { text, params };
}
