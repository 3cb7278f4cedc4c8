/**
 * Fetches one page of matches in sort order, by offset or by keyset cursor, across the two phases
 * of a driven sort (resources with a value for the first sort key, then those without).
 */
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Queryable } from '../db/connect.ts';
import type { PageCursor } from './cursor.ts';
import type { QueryParams } from './query-params.ts';
import type { SortExpression, SortPlan } from './sort.ts';
import { driverExpression, driverJoin, driverMissing, keysetCondition, orderBy } from './sort.ts';

export interface MatchRow {
  rid: string;
  resource_type: string;
  id: string;
  content: string;
}

export interface PageRequest {
  /** Parameters of `where`; each statement works on a copy. */
  params: QueryParams;
  /** Conditions on `r` (type, not deleted, filters). */
  where: string;
  /** The same search from the index tables alone (rid order only): a FROM yielding `r.rid` and its conditions. */
  indexOnly?: { from: string; where: string };
  /** Placeholder of the single searched type (needed by a driven sort). */
  resourceTypeParam?: string;
  sort: SortPlan;
  count: number;
  offset: number;
  cursor?: PageCursor;
}

export interface Page {
  rows: MatchRow[];
  hasMore: boolean;
  /** Where the next page starts, when there is one. */
  next?: PageCursor;
}

/** The sort keys of each phase, for cursor validation. */
export function phaseKeys(sort: SortPlan, phase: 0 | 1): SortExpression[] {
  return sort.driver && phase === 0 ? [driverExpression(sort.driver), ...sort.keys] : sort.keys;
}

export async function fetchPage(db: Queryable, request: PageRequest): Promise<Page> {
  const { sort, cursor } = request;
  if (cursor) {
    assertCursorValues(cursor, phaseKeys(sort, cursor.phase));
  }
  const need = request.count + 1;
  const rows: (MatchRow & { phase: 0 | 1; keys: (string | null)[] })[] = [];
  const phases: (0 | 1)[] = sort.driver ? [0, 1] : [0];
  for (const phase of phases) {
    if (rows.length >= need || (cursor && phase < cursor.phase)) {
      continue;
    }
    let offset = 0;
    if (!cursor && request.offset > 0) {
      offset = phase === 0 ? request.offset : await remainingOffset(db, request, rows.length);
    }
    const after = cursor && cursor.phase === phase ? cursor : undefined;
    const found = await runPhase(db, request, phase, need - rows.length, offset, after);
    rows.push(...found.map((row) => ({ ...row, phase })));
  }
  const hasMore = rows.length > request.count;
  const page = rows.slice(0, request.count);
  const last = page.at(-1);
  return {
    rows: page,
    hasMore,
    ...(hasMore && last ? { next: { phase: last.phase, keys: last.keys, rid: last.rid } } : {}),
  };
}

async function runPhase(
  db: Queryable,
  request: PageRequest,
  phase: 0 | 1,
  limit: number,
  offset: number,
  after: PageCursor | undefined,
): Promise<(MatchRow & { keys: (string | null)[] })[]> {
  const params = request.params.clone();
  const keys = phaseKeys(request.sort, phase);
  const from = request.indexOnly ? `FROM ${request.indexOnly.from}` : fromClause(request, phase);
  const conditions = [request.indexOnly ? request.indexOnly.where : request.where];
  if (request.sort.driver && phase === 1) {
    conditions.push(driverMissing(request.sort.driver, request.resourceTypeParam as string));
  }
  if (after) {
    conditions.push(keysetCondition(params, keys, after.keys, after.rid));
  }
  const keyColumns = keys.map((k, i) => `, (${k.sql})::text AS k${i}`).join('');
  // The page is found on rids and sort keys alone (index-only where the indexes cover them); the
  // resources' JSON is read for the rows of the page only. Prepared: a search shape repeats, and
  // planning costs more than running most of these statements.
  const sql =
    `SELECT r.rid::text AS rid${keyColumns} ${from}\nWHERE ${conditions.join('\n  AND ')}\n` +
    `${orderBy(keys)}\nLIMIT ${params.add(limit)} OFFSET ${params.add(offset)}`;
  const rows = await db.unsafe<Record<string, string | null>[]>(sql, params.values as never[], { prepare: true });
  const content = await readRows(db, rows.map((row) => row.rid as string));
  return rows.map((row) => ({
    ...(content.get(row.rid as string) as MatchRow),
    keys: keys.map((_, i) => row[`k${i}`] ?? null),
  }));
}

/** The resource rows of the given rids, by rid. */
async function readRows(db: Queryable, rids: string[]): Promise<Map<string, MatchRow>> {
  if (rids.length === 0) return new Map();
  const rows = await db.unsafe<MatchRow[]>(
    'SELECT rid::text AS rid, resource_type, id, content FROM resource WHERE rid = ANY($1::bigint[])',
    [rids] as never[],
    { prepare: true },
  );
  return new Map(rows.map((row) => [row.rid, row]));
}

function fromClause(request: PageRequest, phase: 0 | 1): string {
  const { driver } = request.sort;
  return driver && phase === 0 ? `FROM resource r ${driverJoin(driver, request.resourceTypeParam as string)}` : 'FROM resource r';
}

/** With `_offset` past the first phase: how far into the second phase the page starts. */
async function remainingOffset(db: Queryable, request: PageRequest, alreadyFound: number): Promise<number> {
  if (alreadyFound > 0) {
    return 0;
  }
  const params = request.params.clone();
  const [{ n }] = await db.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n ${fromClause(request, 0)} WHERE ${request.where}`,
    params.values as never[],
  );
  return Math.max(0, request.offset - n);
}

const VALUE_SHAPES: Record<string, RegExp> = {
  timestamptz: /^(-?infinity|\d{4,}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d){0,2}( BC)?)$/,
  numeric: /^(-?\d{1,1000}(\.\d{1,1000})?|-?Infinity|NaN)$/,
  float8: /^(-?\d+(\.\d+)?(e[+-]?\d+)?|-?Infinity|NaN)$/,
  text: /^[\s\S]*$/,
};

/** A cursor's values go back into SQL casts; one that would not cast is a 400, not a 500. */
function assertCursorValues(cursor: PageCursor, keys: SortExpression[]): void {
  cursor.keys.forEach((value, i) => {
    const shape = VALUE_SHAPES[keys[i]?.type ?? 'text'];
    if (value !== null && !shape.test(value)) {
      throw new OperationOutcomeError(badRequest('Invalid _cursor: follow the next link of the previous page', '_cursor'));
    }
  });
}
