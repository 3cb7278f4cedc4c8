import { badRequest, Operator, OperationOutcomeError } from '@medplum/core';
import { indexedParam } from './definitions.ts';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists, unsupportedOperator } from './filter-context.ts';
import { compositeFilter, VALUE_TABLE } from './filter-composite.ts';
import { dateFilter, dateMatch, lastUpdatedFilter } from './filter-date.ts';
import { nearFilter } from './filter-near.ts';
import { numberFilter, quantityFilter } from './filter-number.ts';
import { referenceFilter } from './filter-reference.ts';
import { stringFilter } from './filter-string.ts';
import { idFilter, tokenFilter } from './filter-token.ts';
import { uriFilter } from './filter-uri.ts';
import { componentCode } from './index-rows.ts';
import type { QueryParams } from './query-params.ts';
import type { ChainCondition, HasCondition, ParamCondition, SearchCondition } from './resolve-condition.ts';
import { splitOrValues } from './search-value.ts';

export interface FilterScope {
  params: QueryParams;
  baseUrl: string;
  /** Fresh SQL aliases for the resource rows of chains and _has. */
  nextAlias(prefix: string): string;
}

/** Where a condition applies: a resource row alias and the placeholder holding its type. */
export interface RowRef {
  row: string;
  resourceTypeParam: string;
}

/**
 * Turns one resolved search condition into SQL on the resource row `at.row`, or undefined when the
 * condition has no effect (an empty value, which the FHIR spec says to ignore).
 */
export function conditionSql(scope: FilterScope, condition: SearchCondition, at: RowRef): string | undefined {
  switch (condition.kind) {
    case 'param':
      return paramSql(scope, condition, at);
    case 'chain':
      return chainSql(scope, condition, at);
    case 'has':
      return hasSql(scope, condition, at);
  }
}

/**
 * Several plain filters on one single-valued date parameter (date=ge2024-01&date=lt2024-02): a
 * resource has at most one row for it, so "some row matches each" is "one row matches all", which
 * one index range scan answers instead of one probe per filter and row. Undefined when they cannot
 * be merged.
 */
export function mergedDateSql(scope: FilterScope, conditions: ParamCondition[], at: RowRef): string | undefined {
  const [first] = conditions;
  const mergeable = conditions.every(
    (c) =>
      c.code === first.code &&
      c.operator === Operator.EQUALS &&
      c.param.definition.type === 'date' &&
      c.param.details.array === false &&
      !c.code.startsWith('_') &&
      splitOrValues(c.value).length === 1,
  );
  if (conditions.length < 2 || !mergeable) return undefined;
  const contexts = conditions.map((c) => filterContext(scope, c, at));
  const matches = contexts.map((ctx) => dateMatch(ctx)).filter((m): m is string => !!m);
  return matches.length === 0 ? undefined : indexRowExists(contexts[0], 'sp_date', matches.map((m) => `(${m})`).join(' AND '));
}

function filterContext(scope: FilterScope, condition: ParamCondition, at: RowRef): FilterContext {
  const { definition, details } = condition.param;
  return {
    params: scope.params,
    row: at.row,
    resourceType: condition.resourceType,
    resourceTypeParam: at.resourceTypeParam,
    baseUrl: scope.baseUrl,
    code: condition.code,
    operator: condition.operator,
    value: condition.value,
    definition,
    details,
  };
}

function paramSql(scope: FilterScope, condition: ParamCondition, at: RowRef): string | undefined {
  const { definition } = condition.param;
  const ctx = filterContext(scope, condition, at);
  if (ctx.operator === Operator.MISSING || ctx.operator === Operator.PRESENT) {
    return presenceFilter(ctx);
  }
  if (ctx.code === '_id') {
    return idFilter(ctx);
  }
  if (ctx.code === '_lastUpdated') {
    return lastUpdatedFilter(ctx);
  }
  switch (definition.type) {
    case 'token':
      return tokenFilter(ctx);
    case 'string':
      return stringFilter(ctx);
    case 'date':
      return dateFilter(ctx);
    case 'number':
      return numberFilter(ctx);
    case 'quantity':
      return quantityFilter(ctx);
    case 'reference':
      return referenceFilter(ctx);
    case 'uri':
      return uriFilter(ctx);
    case 'composite':
      return compositeFilter(ctx);
    case 'special':
      if (ctx.operator !== Operator.EQUALS) throw unsupportedOperator(ctx);
      return nearFilter(ctx);
    default:
      throw unsupportedOperator(ctx);
  }
}

/**
 * Resources whose reference `code` points at a resource of one of the target types that matches
 * the rest of the chain. The target is found by id, so the inner search runs first and the
 * reference index (code, target_id, target_type) takes it from there.
 */
function chainSql(scope: FilterScope, condition: ChainCondition, at: RowRef): string {
  const alias = scope.nextAlias('t');
  const targets = condition.targets.map(({ type, next }) => {
    const typeParam = scope.params.add(type);
    const inner = conditionSql(scope, next, { row: alias, resourceTypeParam: typeParam });
    return (
      `(x.target_type = ${typeParam} AND x.target_id IN (SELECT ${alias}.id FROM resource ${alias}` +
      ` WHERE ${alias}.resource_type = ${typeParam} AND NOT ${alias}.deleted${inner ? ` AND ${inner}` : ''}))`
    );
  });
  return (
    `EXISTS (SELECT 1 FROM sp_reference x WHERE x.rid = ${at.row}.rid AND x.resource_type = ${at.resourceTypeParam}` +
    ` AND x.code = ${scope.params.add(condition.code)} AND (${targets.join(' OR ')}))`
  );
}

/** Resources that some `sourceType` resource matching the rest points at through `code`. */
function hasSql(scope: FilterScope, condition: HasCondition, at: RowRef): string {
  const source = scope.nextAlias('s');
  const ref = scope.nextAlias('h');
  const sourceTypeParam = scope.params.add(condition.sourceType);
  const inner = conditionSql(scope, condition.next, { row: source, resourceTypeParam: sourceTypeParam });
  return (
    `EXISTS (SELECT 1 FROM sp_reference ${ref} JOIN resource ${source} ON ${source}.rid = ${ref}.rid` +
    ` WHERE ${ref}.code = ${scope.params.add(condition.code)} AND ${ref}.target_id = ${at.row}.id` +
    ` AND ${ref}.target_type = ${at.resourceTypeParam} AND ${ref}.resource_type = ${sourceTypeParam}` +
    ` AND NOT ${source}.deleted${inner ? ` AND ${inner}` : ''})`
  );
}

/** :missing=true|false (and core's :present): whether the resource has any value for the parameter. */
function presenceFilter(ctx: FilterContext): string {
  if (ctx.value !== 'true' && ctx.value !== 'false') {
    throw new OperationOutcomeError(badRequest(`:${ctx.operator} on ${ctx.code} takes true or false, not "${ctx.value}"`, ctx.code));
  }
  const wantPresent = ctx.operator === Operator.PRESENT ? ctx.value === 'true' : ctx.value === 'false';
  if (ctx.code === '_id' || ctx.code === '_lastUpdated') {
    // Every resource has an id and a lastUpdated.
    return wantPresent ? 'TRUE' : 'FALSE';
  }
  const { table, code } = presenceRows(ctx);
  const exists = indexRowExists(ctx, table, 'TRUE', code);
  return wantPresent ? exists : `NOT ${exists}`;
}

function presenceRows(ctx: FilterContext): { table: string; code: string } {
  const param = indexedParam(ctx.resourceType, ctx.code);
  if (param?.type === 'composite' && param.components) {
    return { table: VALUE_TABLE[param.components[0].type], code: componentCode(ctx.code, 0) };
  }
  if (param?.type === 'position') {
    return { table: 'sp_position', code: ctx.code };
  }
  if (!param || param.type === 'composite') {
    throw unsupportedOperator(ctx);
  }
  return { table: VALUE_TABLE[param.type], code: ctx.code };
}
