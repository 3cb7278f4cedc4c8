/**
 * _sort as SQL. `_id` and `_lastUpdated` sort on resource columns; an indexed parameter sorts on its
 * smallest value ascending and its largest descending (FHIR leaves multi-valued sorting to the
 * server; this is what a person expects for "earliest first" / "latest first"). Resources without
 * a value come last either way, and r.rid (insertion order, also the default order) breaks ties
 * (in the direction of the first key).
 *
 * The first key, when it is an indexed value, is "driven": the search joins the one index row that
 * holds the resource's sort value, so PostgreSQL can walk the value index in order and stop after a
 * page (keyset paging: the next page starts after the last row's (value, rid)). Resources without a
 * value for it are a second phase that follows the first. Further keys are per-row subqueries.
 */
import { badRequest, OperationOutcomeError } from '@medplum/core';
import { resolveSearchParameter } from './definitions.ts';
import type { NearPoint } from './filter-near.ts';
import { distanceKm } from './filter-near.ts';
import type { QueryParams } from './query-params.ts';
import type { SortKey } from './search-query.ts';

export interface SortExpression {
  /** SQL for the key of the row `r` (or of the driving index row `s`). */
  sql: string;
  descending: boolean;
  /** SQL type the cursor value is cast back to. */
  type: string;
  /** Whether rows may have no value (they sort last). */
  nullable: boolean;
}

/** The first sort key served by joining its index row `s`. */
export interface SortDriver {
  table: string;
  code: string;
  column: string;
  descending: boolean;
  type: string;
}

export interface SortPlan {
  driver?: SortDriver;
  /** Keys after the driver (or all keys when there is none), in ORDER BY order; r.rid comes last. */
  keys: SortExpression[];
}

interface ValueColumn {
  table: string;
  ascending: string;
  descending: string;
  type: string;
}

const VALUE_COLUMNS: Record<string, ValueColumn> = {
  token: { table: 'sp_token', ascending: 'value', descending: 'value', type: 'text' },
  string: { table: 'sp_string', ascending: 'value_norm', descending: 'value_norm', type: 'text' },
  date: { table: 'sp_date', ascending: 'low', descending: 'high', type: 'timestamptz' },
  number: { table: 'sp_number', ascending: 'low', descending: 'high', type: 'numeric' },
  quantity: { table: 'sp_quantity', ascending: 'value', descending: 'value', type: 'numeric' },
  uri: { table: 'sp_uri', ascending: 'value', descending: 'value', type: 'text' },
};

const REFERENCE_KEY = `coalesce(x.target_type || '/' || x.target_id, x.target_url)`;

export interface SortOptions {
  params: QueryParams;
  resourceTypes: string[];
  /** The near point when the search has `near`, for `_sort=near`. */
  near?: NearPoint;
}

export function buildSortPlan(rules: SortKey[], options: SortOptions): SortPlan {
  const plan: SortPlan = { keys: [] };
  rules.forEach((rule, i) => {
    const direction = rule.descending ? 'descending' : 'ascending';
    if (rule.code === '_id') {
      plan.keys.push({ sql: 'r.id', descending: rule.descending, type: 'text', nullable: false });
      return;
    }
    if (rule.code === '_lastUpdated') {
      plan.keys.push({ sql: 'r.last_updated', descending: rule.descending, type: 'timestamptz', nullable: false });
      return;
    }
    if (options.resourceTypes.length > 1) {
      throw new OperationOutcomeError(
        badRequest(`A search of several types sorts on _id and _lastUpdated only, not ${rule.code}`, '_sort'),
      );
    }
    const { definition } = resolveSearchParameter(options.resourceTypes[0], rule.code);
    const code = options.params.add(rule.code);
    if (definition.type === 'special' && rule.code === 'near') {
      if (!options.near) {
        throw new OperationOutcomeError(badRequest('_sort=near needs a near parameter to measure from', '_sort'));
      }
      const distance = distanceKm(options.params, options.near);
      plan.keys.push({
        sql: `(SELECT min(${distance}) FROM sp_position x WHERE x.rid = r.rid AND x.code = ${code})`,
        descending: rule.descending,
        type: 'float8',
        nullable: true,
      });
      return;
    }
    if (definition.type === 'reference') {
      const aggregate = rule.descending ? 'max' : 'min';
      plan.keys.push({
        sql: `(SELECT ${aggregate}(${REFERENCE_KEY}) FROM sp_reference x WHERE x.rid = r.rid AND x.code = ${code})`,
        descending: rule.descending,
        type: 'text',
        nullable: true,
      });
      return;
    }
    const column = VALUE_COLUMNS[definition.type as string];
    if (!column) {
      throw new OperationOutcomeError(badRequest(`Cannot sort on the ${definition.type} parameter ${rule.code}`, rule.code));
    }
    if (i === 0) {
      plan.driver = { table: column.table, code, column: column[direction], descending: rule.descending, type: column.type };
      return;
    }
    const aggregate = rule.descending ? 'max' : 'min';
    plan.keys.push({
      sql: `(SELECT ${aggregate}(x.${column[direction]}) FROM ${column.table} x WHERE x.rid = r.rid AND x.code = ${code})`,
      descending: rule.descending,
      type: column.type,
      nullable: true,
    });
  });
  return plan;
}

/**
 * The join that picks, per resource, the one index row holding its sort value (the smallest
 * ascending, the largest descending), flagged by the index writer (sort_min / sort_max).
 */
export function driverJoin(driver: SortDriver, resourceTypeParam: string): string {
  return (
    `JOIN ${driver.table} s ON s.rid = r.rid AND s.resource_type = ${resourceTypeParam} AND s.code = ${driver.code}` +
    ` AND s.${driver.descending ? 'sort_max' : 'sort_min'}`
  );
}

/** Resources with no value for the driving key (the second phase). */
export function driverMissing(driver: SortDriver, resourceTypeParam: string): string {
  return (
    `NOT EXISTS (SELECT 1 FROM ${driver.table} s WHERE s.rid = r.rid AND s.resource_type = ${resourceTypeParam}` +
    ` AND s.code = ${driver.code} AND s.${driver.column} IS NOT NULL)`
  );
}

export function driverExpression(driver: SortDriver): SortExpression {
  return { sql: `s.${driver.column}`, descending: driver.descending, type: driver.type, nullable: false };
}

/**
 * r.rid breaks ties in the direction of the first key, so that a driven sort reads its value index
 * (which ends in rid) forwards or backwards without a sort step.
 */
export function ridDescending(keys: SortExpression[]): boolean {
  return keys[0]?.descending ?? false;
}

export function orderBy(keys: SortExpression[]): string {
  const parts = keys.map((k) => `${k.sql} ${k.descending ? 'DESC' : 'ASC'}${k.nullable ? ' NULLS LAST' : ''}`);
  parts.push(`r.rid ${ridDescending(keys) ? 'DESC' : 'ASC'}`);
  return `ORDER BY ${parts.join(', ')}`;
}

/**
 * Rows after the cursor position in ORDER BY order: (k1, k2, ..., rid) > (v1, v2, ..., rid0),
 * each key in its own direction, NULLs last. The first key also gets a plain range condition so
 * its index can start at the cursor.
 */
export function keysetCondition(params: QueryParams, keys: SortExpression[], values: (string | null)[], rid: string): string {
  const ridCondition = `r.rid ${ridDescending(keys) ? '<' : '>'} ${params.add(rid)}::bigint`;
  let condition = ridCondition;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i];
    const value = values[i];
    if (value === null) {
      condition = `(${key.sql} IS NULL AND ${condition})`;
      continue;
    }
    const v = `${params.add(value)}::${key.type}`;
    const after = `${key.sql} ${key.descending ? '<' : '>'} ${v}${key.nullable ? ` OR ${key.sql} IS NULL` : ''}`;
    condition = `(${after} OR (${key.sql} = ${v} AND ${condition}))`;
  }
  const first = keys[0];
  const firstValue = values[0];
  if (first && firstValue !== null && firstValue !== undefined && !first.nullable) {
    condition = `${first.sql} ${first.descending ? '<=' : '>='} ${params.add(firstValue)}::${first.type} AND ${condition}`;
  }
  return condition;
}
