/**
 * Writes the search index of one resource row. The whole replacement (7 deletes + 7 inserts) is a
 * single statement of data-modifying CTEs with one array parameter per column, so a write costs one
 * round trip and one prepared plan whatever the resource holds. All sub-statements see the same
 * snapshot, so the deletes remove only the old rows and never the ones inserted next to them.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/connect.ts';
import { extractSearchIndexRows } from './index-rows.ts';

const INDEX_TABLES = ['sp_token', 'sp_string', 'sp_date', 'sp_number', 'sp_quantity', 'sp_reference', 'sp_uri'];

const deletes = INDEX_TABLES.map((t) => `del_${t} AS (DELETE FROM ${t} WHERE rid = $1::bigint)`);

// $1 rid, $2 resource_type, then the column arrays in this order. Every array is sent as text[] and
// cast in SQL: the driver's own timestamptz serializer cannot write 'infinity'.
const REPLACE_INDEX_SQL = `WITH
  ${deletes.join(',\n  ')},
  ins_token AS (INSERT INTO sp_token (rid, resource_type, code, system, value, text_norm)
    SELECT $1::bigint, $2::text, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[])),
  ins_string AS (INSERT INTO sp_string (rid, resource_type, code, value_norm, value_raw)
    SELECT $1::bigint, $2::text, * FROM unnest($7::text[], $8::text[], $9::text[])),
  ins_date AS (INSERT INTO sp_date (rid, resource_type, code, low, high)
    SELECT $1::bigint, $2::text, c, l::timestamptz, h::timestamptz FROM unnest($10::text[], $11::text[], $12::text[]) AS u (c, l, h)),
  ins_number AS (INSERT INTO sp_number (rid, resource_type, code, low, high)
    SELECT $1::bigint, $2::text, c, l::numeric, h::numeric FROM unnest($13::text[], $14::text[], $15::text[]) AS u (c, l, h)),
  ins_quantity AS (INSERT INTO sp_quantity (rid, resource_type, code, value, system, unit_code, unit)
    SELECT $1::bigint, $2::text, c, v::numeric, s, uc, u FROM unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::text[]) AS u (c, v, s, uc, u)),
  ins_reference AS (INSERT INTO sp_reference (rid, resource_type, code, target_type, target_id, target_url)
    SELECT $1::bigint, $2::text, * FROM unnest($21::text[], $22::text[], $23::text[], $24::text[])),
  ins_uri AS (INSERT INTO sp_uri (rid, resource_type, code, value)
    SELECT $1::bigint, $2::text, * FROM unnest($25::text[], $26::text[]))
SELECT 1`;

const DELETE_INDEX_SQL = `WITH ${deletes.join(',\n  ')} SELECT 1`;

/**
 * Replaces every index row of the resource row `rid` with the values computed from `resource`.
 * Call it in the same transaction as the write of the resource row (create and update). On delete,
 * call deleteSearchIndex; searches skip deleted rows either way.
 */
export async function writeSearchIndex(tx: Queryable, rid: string, resource: Resource): Promise<void> {
  const rows = extractSearchIndexRows(resource);
  const params = [
    rid,
    resource.resourceType,
    ...columns(rows.token, ['code', 'system', 'value', 'textNorm']),
    ...columns(rows.string, ['code', 'valueNorm', 'valueRaw']),
    ...columns(rows.date, ['code', 'low', 'high']),
    ...columns(rows.number, ['code', 'low', 'high']),
    ...columns(rows.quantity, ['code', 'value', 'system', 'unitCode', 'unit']),
    ...columns(rows.reference, ['code', 'targetType', 'targetId', 'targetUrl']),
    ...columns(rows.uri, ['code', 'value']),
  ];
  await tx.unsafe(REPLACE_INDEX_SQL, params as never[], { prepare: true });
}

/** Removes every index row of the resource row `rid` (e.g. when the resource is deleted). */
export async function deleteSearchIndex(tx: Queryable, rid: string): Promise<void> {
  await tx.unsafe(DELETE_INDEX_SQL, [rid], { prepare: true });
}

function columns<T>(rows: T[], keys: (keyof T)[]): (string | null)[][] {
  return keys.map((key) => rows.map((row) => row[key] as string | null));
}
