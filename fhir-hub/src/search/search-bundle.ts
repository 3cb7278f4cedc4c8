import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { SearchRequest, WithId } from '@medplum/core';
import type { Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/connect.ts';
import { currentSearchContext } from '../trace-context.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { assertSearchableType, initSearchDefinitions, UnknownParameterError } from './definitions.ts';
import { filterExpressionSql } from './filter-expression.ts';
import { conditionSql, mergedDateSql } from './filter.ts';
import type { FilterScope } from './filter.ts';
import type { NearPoint } from './filter-near.ts';
import { parseNear } from './filter-near.ts';
import { findIncluded, MAX_INCLUDED_PER_PARAMETER } from './include.ts';
import { fetchPage, phaseKeys } from './page-query.ts';
import type { MatchRow } from './page-query.ts';
import { MAX_PAGE_SIZE } from './parse-query.ts';
import { fromSearchRequest } from './search-request.ts';
import { QueryParams } from './query-params.ts';
import { resolveCondition } from './resolve-condition.ts';
import type { ParamCondition, SearchCondition } from './resolve-condition.ts';
import { pageLinks } from './search-links.ts';
import type { SearchQuery } from './search-query.ts';
import { isSearchQuery } from './search-query.ts';
import { splitOrValues } from './search-value.ts';
import { buildSortPlan } from './sort.ts';
import { subsetResource } from './subset.ts';

/** Page size when `_count` is absent. */
export const DEFAULT_PAGE_SIZE = 20;
export { MAX_PAGE_SIZE };

export interface SearchBundleOptions {
  /** Public base URL of the hub, e.g. "https://hub.example.org/" (fullUrl = base + "fhir/R4/Type/id"). */
  baseUrl: string;
}

/**
 * Runs a FHIR search against the resource table and its index and answers a searchset Bundle:
 * the page of matches (trimmed by _summary/_elements), the _include/_revinclude resources, and an
 * OperationOutcome entry (search.mode 'outcome') for parameters ignored under lenient handling.
 * Throws OperationOutcomeError (400) for bad values, unsupported features and, under strict
 * handling, unknown parameters.
 */
export async function searchBundle<T extends Resource = Resource>(
  db: Queryable,
  request: SearchRequest<T> | SearchQuery,
  options: SearchBundleOptions,
): Promise<Bundle<WithId<T>>> {
  initSearchDefinitions();
  const query = isSearchQuery(request) ? request : fromSearchRequest(request);
  query.resourceTypes.forEach(assertSearchableType);
  const count = pageSize(query.count);
  const offset = pageOffset(query.offset);
  const baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : options.baseUrl + '/';
  const issues: OperationOutcomeIssue[] = [...query.issues];

  const params = new QueryParams();
  const typeParams = query.resourceTypes.map((type) => params.add(type));
  const { where, indexOnly } = whereClause(query, params, typeParams, baseUrl, issues);

  // Sort and page parameters come after the filter's, so the count statement can drop them.
  const pageParams = params.clone();
  const sort = buildSortPlan(query.sort, { params: pageParams, resourceTypes: query.resourceTypes, near: nearPoint(query) });
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, (phase) => phaseKeys(sort, phase).length);
  if (cursor && query.offset) {
    throw new OperationOutcomeError(badRequest('Use either _cursor or _offset, not both', '_cursor'));
  }
  const page =
    count > 0
      ? await fetchPage(db, {
          params: pageParams,
          where,
          indexOnly: sort.driver || sort.keys.length > 0 ? undefined : indexOnly,
          resourceTypeParam: typeParams[0],
          sort,
          count,
          offset,
          cursor,
        })
      : { rows: [], hasMore: false };

  const total = await computeTotal(db, query, { where, params, count, offset, page, byCursor: !!cursor });

  const entry: BundleEntry[] = page.rows.map((row) => ({
    fullUrl: fullUrl(baseUrl, row),
    resource: subsetResource(JSON.parse(row.content) as Resource, query.summary, query.elements),
    search: { mode: 'match' },
  }));
  if ((query.include.length > 0 || query.revinclude.length > 0) && page.rows.length > 0) {
    const included = await findIncluded(db, page.rows, query.include, query.revinclude);
    for (const row of included.rows) {
      entry.push({ fullUrl: fullUrl(baseUrl, row), resource: JSON.parse(row.content) as Resource, search: { mode: 'include' } });
    }
    if (included.truncated) {
      issues.push({
        severity: 'warning',
        code: 'too-costly',
        diagnostics: `Only the first ${MAX_INCLUDED_PER_PARAMETER} resources of each _include/_revinclude are returned`,
      });
    }
  }
  const httpSearch = currentSearchContext();
  if (issues.length > 0 && httpSearch && !isSearchQuery(request)) {
    // Served over HTTP through the repository (and any wrapper of it): the HTTP layer reports them.
    httpSearch.issues.push(...issues);
  } else if (issues.length > 0) {
    entry.push({ resource: outcomeOf(issues), search: { mode: 'outcome' } });
  }

  const linkBase = query.systemLevel ? `${baseUrl}fhir/R4` : `${baseUrl}fhir/R4/${query.resourceTypes[0]}`;
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total === undefined ? {} : { total }),
    link: pageLinks({
      base: linkBase,
      query,
      count,
      offset,
      byOffset: query.offset !== undefined,
      hasMore: page.hasMore,
      nextCursor: page.next && encodeCursor(page.next),
    }),
    entry: entry as BundleEntry<WithId<T>>[],
  };
}

/**
 * The WHERE conditions on `r`: type, not deleted, and every filter. A filter whose parameter is
 * unknown is dropped with a warning under lenient handling and is a 400 under strict handling.
 */
interface WhereClause {
  /** Conditions on the resource row `r`. */
  where: string;
  /** The same search answered from the index tables alone, when it can be (see indexOnlyForm). */
  indexOnly?: { from: string; where: string };
}

function whereClause(
  query: SearchQuery,
  params: QueryParams,
  typeParams: string[],
  baseUrl: string,
  issues: OperationOutcomeIssue[],
): WhereClause {
  let aliasCount = 0;
  const scope: FilterScope = { params, baseUrl, nextAlias: (prefix) => `${prefix}${++aliasCount}` };
  const perType: string[][] = query.resourceTypes.map(() => []);
  const resolved: SearchCondition[][] = query.resourceTypes.map(() => []);
  const filterExpressions: string[][] = query.resourceTypes.map(() => []);
  for (const filter of query.filters) {
    if (filter.key === '_filter') {
      query.resourceTypes.forEach((type, i) => {
        filterExpressions[i].push(filterExpressionSql(scope, type, filter.value, { row: 'r', resourceTypeParam: typeParams[i] }));
      });
      continue;
    }
    let conditions: SearchCondition[];
    try {
      conditions = query.resourceTypes.map((type) => resolveCondition(type, filter.key, filter.value));
    } catch (err) {
      if (!(err instanceof UnknownParameterError) || query.handling === 'strict') throw err;
      issues.push({
        severity: 'warning',
        code: 'not-supported',
        details: { text: `Unknown search parameter ${filter.key}: ignored (send Prefer: handling=strict to make this an error)` },
        expression: [filter.key],
      });
      continue;
    }
    conditions.forEach((condition, i) => resolved[i].push(condition));
  }
  resolved.forEach((conditions, i) => {
    const at = { row: 'r', resourceTypeParam: typeParams[i] };
    for (const group of groupRepeatedDates(conditions)) {
      const merged = group.length > 1 ? mergedDateSql(scope, group as ParamCondition[], at) : undefined;
      const sqls = merged ? [merged] : group.map((condition) => conditionSql(scope, condition, at));
      for (const sql of sqls) if (sql) perType[i].push(sql);
    }
    perType[i].push(...filterExpressions[i]);
  });
  if (query.resourceTypes.length === 1) {
    // An index row of the type for this very rid already proves the type; leaving the (redundant)
    // type test out keeps the planner from taking it as a second, independent 1-in-50 filter.
    const anchored = perType[0].some((sql) => anchorsRow(sql, typeParams[0]));
    return {
      where: [...(anchored ? [] : [`r.resource_type = ${typeParams[0]}`]), 'NOT r.deleted', ...perType[0]].join('\n  AND '),
      indexOnly: indexOnlyForm(perType[0], typeParams[0]),
    };
  }
  const branches = typeParams.map((tp, i) => `(${[`r.resource_type = ${tp}`, ...perType[i]].join(' AND ')})`);
  return { where: `r.resource_type = ANY(ARRAY[${typeParams.join(', ')}]::text[]) AND NOT r.deleted\n  AND (${branches.join('\n    OR ')})` };
}

const STRING_ANCHOR = /^EXISTS \(SELECT 1 FROM sp_string x /;
/** system|code: the value index (type, code, value, system, rid) then yields rids in order. */
const TOKEN_EQUALITY =
  /^EXISTS \(SELECT 1 FROM sp_token x WHERE x\.rid = r\.rid AND x\.resource_type = \$\d+ AND x\.code = \$\d+ AND \(\(x\.system = \$\d+ AND x\.value = \$\d+\)\)\)$/;

/**
 * When one filter is an index EXISTS on the searched type and no filter reads more of the resource
 * row than its rid, the page of rids (in rid order) comes from the index tables alone: that filter
 * becomes `(SELECT DISTINCT x.rid FROM sp_… x WHERE …) r` and the others stay as they are. Index
 * rows exist only for live resources (a delete removes them in its transaction), so no test of
 * resource.deleted is needed.
 */
function indexOnlyForm(conditions: string[], typeParam: string): { from: string; where: string } | undefined {
  // Only filters that match few rows or yield them in rid order: a common code without a system,
  // or a date range, can match most of a type, where walking resources in rid order and probing
  // each (the usual plan) stops after a page instead of collecting every matching rid.
  const anchor = conditions.findIndex((sql) => anchorsRow(sql, typeParam) && (STRING_ANCHOR.test(sql) || TOKEN_EQUALITY.test(sql)));
  if (anchor < 0 || conditions.some((sql) => /\br\.(?!rid\b)[a-z_]+/.test(sql))) return undefined;
  const from = conditions[anchor].replace(/^EXISTS \(SELECT 1 FROM (sp_[a-z]+) x WHERE x\.rid = r\.rid AND /, '(SELECT DISTINCT x.rid FROM $1 x WHERE ');
  const others = conditions.filter((_, i) => i !== anchor);
  return { from: `${from} r`, where: others.length > 0 ? others.join('\n  AND ') : 'TRUE' };
}

/** True for a condition that requires an index row of the resource row `r` with the searched type. */
function anchorsRow(sql: string, typeParam: string): boolean {
  const prefix = /^EXISTS \(SELECT 1 FROM sp_[a-z]+ x WHERE x\.rid = r\.rid AND x\.resource_type = (\$\d+) /.exec(sql);
  return prefix?.[1] === typeParam;
}

/** Conditions in order, with plain filters on the same date parameter gathered into one group. */
function groupRepeatedDates(conditions: SearchCondition[]): SearchCondition[][] {
  const groups: SearchCondition[][] = [];
  const byCode = new Map<string, SearchCondition[]>();
  for (const condition of conditions) {
    if (condition.kind === 'param' && condition.param.definition.type === 'date' && condition.operator === 'eq') {
      const group = byCode.get(condition.code);
      if (group) {
        group.push(condition);
        continue;
      }
      byCode.set(condition.code, [condition]);
      groups.push(byCode.get(condition.code) as SearchCondition[]);
    } else {
      groups.push([condition]);
    }
  }
  return groups;
}

function nearPoint(query: SearchQuery): NearPoint | undefined {
  if (!query.sort.some((s) => s.code === 'near')) return undefined;
  const near = query.filters.find((f) => f.key === 'near');
  const first = near && splitOrValues(near.value)[0];
  return first ? parseNear(first) : undefined;
}

interface TotalInput {
  where: string;
  params: QueryParams;
  count: number;
  offset: number;
  page: { rows: MatchRow[]; hasMore: boolean };
  byCursor: boolean;
}

/**
 * `accurate` (and `_count=0`, e.g. `_summary=count`) counts; `estimate` asks the planner; `none`
 * never counts; without `_total` the total is given only when it is free (the last page reached by
 * offset).
 */
async function computeTotal(db: Queryable, query: SearchQuery, input: TotalInput): Promise<number | undefined> {
  const { where, params, count, offset, page } = input;
  const known = !page.hasMore && !input.byCursor && (page.rows.length > 0 || offset === 0) ? offset + page.rows.length : undefined;
  if (query.total === 'none') return undefined;
  if (query.total === 'accurate' || (count === 0 && query.total !== 'estimate')) {
    if (known !== undefined && count > 0) return known;
    const [{ n }] = await db.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM resource r WHERE ${where}`, params.values as never[]);
    return n;
  }
  if (query.total === 'estimate') {
    if (known !== undefined && count > 0) return known;
    const [row] = await db.unsafe<{ 'QUERY PLAN': unknown }[]>(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM resource r WHERE ${where}`,
      params.values as never[],
    );
    const plan = row['QUERY PLAN'];
    const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as [{ Plan: { 'Plan Rows': number } }];
    return Math.round(parsed[0].Plan['Plan Rows']);
  }
  return known;
}

export function outcomeOf(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

function fullUrl(baseUrl: string, row: MatchRow): string {
  return `${baseUrl}fhir/R4/${row.resource_type}/${row.id}`;
}

function pageSize(count: number | undefined): number {
  if (count === undefined) {
    return DEFAULT_PAGE_SIZE;
  }
  if (!Number.isInteger(count) || count < 0) {
    throw new OperationOutcomeError(badRequest(`_count must be a whole number from 0 to ${MAX_PAGE_SIZE}`, '_count'));
  }
  return Math.min(count, MAX_PAGE_SIZE);
}

function pageOffset(offset: number | undefined): number {
  if (offset === undefined) {
    return 0;
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new OperationOutcomeError(badRequest('_offset must be a whole number, 0 or more', '_offset'));
  }
  return offset;
}
