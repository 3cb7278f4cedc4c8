/**
 * Writes the search index of resource rows. The whole replacement (8 deletes + 8 inserts) is a
 * single statement of data-modifying CTEs with one array parameter per column, so a write costs one
 * round trip and one prepared plan whatever the resources hold, for one resource (every write) or
 * a batch of them (re-index, bulk load). All sub-statements see the same snapshot, so the deletes
 * remove only the old rows and never the ones inserted next to them.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/connect.ts';
import { extractSearchIndexRows } from './index-rows.ts';
import type { SearchIndexRows } from './index-rows.ts';

const INDEX_TABLES = ['sp_token', 'sp_string', 'sp_date', 'sp_number', 'sp_quantity', 'sp_reference', 'sp_uri', 'sp_position'];

// One resource (every write) compares rid with a scalar: a cached generic plan for `= ANY(array)`
// can settle on sequential scans while the tables are small, and keep them as they grow.
const deleteOne = INDEX_TABLES.map((t) => `del_${t} AS (DELETE FROM ${t} WHERE rid = ($1::bigint[])[1])`);
const deleteMany = INDEX_TABLES.map((t) => `del_${t} AS (DELETE FROM ${t} WHERE rid = ANY($1::bigint[]))`);

interface TableSpec {
  table: string;
  /** Column name → SQL type; every array is sent as text[] and cast here. */
  columns: [name: string, type: string][];
  /** Row fields holding the ascending and descending sort value, for the sort_min/sort_max flags. */
  sort?: { ascending: string; descending: string; compare: (a: string, b: string) => number };
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const compareNumber = (a: string, b: string): number => toNumber(a) - toNumber(b);
const compareInstant = (a: string, b: string): number => toInstant(a) - toInstant(b);
const SORT_FLAGS: [string, string][] = [['sort_min', 'boolean'], ['sort_max', 'boolean']];

// The driver's own timestamptz serializer cannot write 'infinity', hence text[] everywhere.
const TABLES: TableSpec[] = [
  {
    table: 'sp_token',
    columns: [['code', 'text'], ['system', 'text'], ['value', 'text'], ['text_norm', 'text'], ['grp', 'smallint'], ...SORT_FLAGS],
    sort: { ascending: 'value', descending: 'value', compare: compareText },
  },
  {
    table: 'sp_string',
    columns: [['code', 'text'], ['value_norm', 'text'], ['value_raw', 'text'], ['grp', 'smallint'], ...SORT_FLAGS],
    sort: { ascending: 'valueNorm', descending: 'valueNorm', compare: compareText },
  },
  {
    table: 'sp_date',
    columns: [['code', 'text'], ['low', 'timestamptz'], ['high', 'timestamptz'], ['grp', 'smallint'], ...SORT_FLAGS],
    sort: { ascending: 'low', descending: 'high', compare: compareInstant },
  },
  {
    table: 'sp_number',
    columns: [['code', 'text'], ['low', 'numeric'], ['high', 'numeric'], ['grp', 'smallint'], ...SORT_FLAGS],
    sort: { ascending: 'low', descending: 'high', compare: compareNumber },
  },
  {
    table: 'sp_quantity',
    columns: [
      ['code', 'text'], ['value', 'numeric'], ['system', 'text'], ['unit_code', 'text'], ['unit', 'text'],
      ['canonical_value', 'numeric'], ['canonical_unit', 'text'], ['grp', 'smallint'], ...SORT_FLAGS,
    ],
    sort: { ascending: 'value', descending: 'value', compare: compareNumber },
  },
  {
    table: 'sp_reference',
    columns: [['code', 'text'], ['target_type', 'text'], ['target_id', 'text'], ['target_url', 'text'], ['grp', 'smallint']],
  },
  {
    table: 'sp_uri',
    columns: [['code', 'text'], ['value', 'text'], ['grp', 'smallint'], ...SORT_FLAGS],
    sort: { ascending: 'value', descending: 'value', compare: compareText },
  },
  { table: 'sp_position', columns: [['code', 'text'], ['lat', 'float8'], ['lng', 'float8']] },
];

function buildReplaceSql(deletes: string[]): string {
  let n = 1;
  const inserts = TABLES.map(({ table, columns }) => {
    const all: [string, string][] = [['rid', 'bigint'], ['resource_type', 'text'], ...columns];
    const args = all.map(() => `$${++n}::text[]`);
    const names = all.map(([name]) => name);
    const casts = all.map(([name, type]) => `u.${name}::${type}`);
    return `ins_${table} AS (INSERT INTO ${table} (${names.join(', ')})
    SELECT ${casts.join(', ')} FROM unnest(${args.join(', ')}) AS u (${names.join(', ')}))`;
  });
  return `WITH\n  ${[...deletes, ...inserts].join(',\n  ')}\nSELECT 1`;
}

const REPLACE_ONE_SQL = buildReplaceSql(deleteOne);
const REPLACE_MANY_SQL = buildReplaceSql(deleteMany);
const DELETE_INDEX_SQL = `WITH ${deleteOne.join(',\n  ')} SELECT 1`;

// Row field (camelCase, from index-rows) of each column.
const FIELD: Record<string, string> = {
  text_norm: 'textNorm', value_norm: 'valueNorm', value_raw: 'valueRaw', unit_code: 'unitCode',
  canonical_value: 'canonicalValue', canonical_unit: 'canonicalUnit', target_type: 'targetType',
  target_id: 'targetId', target_url: 'targetUrl',
};

/**
 * Replaces every index row of the resource row `rid` with the values computed from `resource`.
 * Call it in the same transaction as the write of the resource row (create and update). On delete,
 * call deleteSearchIndex; searches skip deleted rows either way.
 */
export async function writeSearchIndex(tx: Queryable, rid: string, resource: Resource): Promise<void> {
  await writeSearchIndexBatch(tx, [{ rid, resource }]);
}

/** The same as writeSearchIndex for many resource rows in one statement. */
export async function writeSearchIndexBatch(tx: Queryable, items: { rid: string; resource: Resource }[]): Promise<void> {
  if (items.length === 0) return;
  await writeIndexRows(tx, items.map(({ rid, resource }) => ({ rid, resourceType: resource.resourceType, rows: extractSearchIndexRows(resource) })));
}

/** Writes rows already computed by extractSearchIndexRows (replacing those of the same rids). */
export async function writeIndexRows(
  tx: Queryable,
  items: { rid: string; resourceType: string; rows: SearchIndexRows }[],
): Promise<void> {
  const rids = items.map((i) => i.rid);
  const params: unknown[] = [rids];
  for (const spec of TABLES) {
    const key = spec.table.slice(3) as keyof SearchIndexRows;
    const arrays: (string | null)[][] = [[], [], ...spec.columns.map(() => [])];
    for (const item of items) {
      const rows = item.rows[key] as unknown as Record<string, unknown>[];
      const flags = spec.sort ? sortFlags(rows, spec.sort) : undefined;
      rows.forEach((row, r) => {
        arrays[0].push(item.rid);
        arrays[1].push(item.resourceType);
        spec.columns.forEach(([name], c) => {
          const value = name === 'sort_min' ? flags?.min.has(r) : name === 'sort_max' ? flags?.max.has(r) : row[FIELD[name] ?? name];
          arrays[c + 2].push(value === undefined || value === null ? null : String(value));
        });
      });
    }
    params.push(...arrays);
  }
  await tx.unsafe(items.length === 1 ? REPLACE_ONE_SQL : REPLACE_MANY_SQL, params as never[], { prepare: true });
}

/** Indexes (into rows) of the row with the smallest and the largest sort value of each code. */
function sortFlags(rows: Record<string, unknown>[], sort: NonNullable<TableSpec['sort']>): { min: Set<number>; max: Set<number> } {
  const min = new Map<string, number>();
  const max = new Map<string, number>();
  rows.forEach((row, r) => {
    const code = row.code as string;
    const ascending = row[sort.ascending] as string | null | undefined;
    const descending = row[sort.descending] as string | null | undefined;
    if (ascending !== null && ascending !== undefined) {
      const best = min.get(code);
      if (best === undefined || sort.compare(ascending, rows[best][sort.ascending] as string) < 0) min.set(code, r);
    }
    if (descending !== null && descending !== undefined) {
      const best = max.get(code);
      if (best === undefined || sort.compare(descending, rows[best][sort.descending] as string) > 0) max.set(code, r);
    }
  });
  return { min: new Set(min.values()), max: new Set(max.values()) };
}

function toNumber(value: string): number {
  return value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : Number(value);
}

function toInstant(value: string): number {
  return value === 'infinity' ? Infinity : value === '-infinity' ? -Infinity : Date.parse(value);
}

/** Removes every index row of the resource row `rid` (e.g. when the resource is deleted). */
export async function deleteSearchIndex(tx: Queryable, rid: string): Promise<void> {
  await tx.unsafe(DELETE_INDEX_SQL, [[rid]] as never[], { prepare: true });
}

