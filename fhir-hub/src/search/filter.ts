import { badRequest, Operator, OperationOutcomeError } from '@medplum/core';
import type { Filter } from '@medplum/core';
import { resolveSearchParameter } from './definitions.ts';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists, unsupportedOperator } from './filter-context.ts';
import { dateFilter, lastUpdatedFilter } from './filter-date.ts';
import { numberFilter, quantityFilter } from './filter-number.ts';
import { referenceFilter } from './filter-reference.ts';
import { stringFilter } from './filter-string.ts';
import { idFilter, tokenFilter } from './filter-token.ts';
import { uriFilter } from './filter-uri.ts';
import type { QueryParams } from './query-params.ts';

/** The index table of each search parameter type. */
export const INDEX_TABLE: Record<string, string> = {
  token: 'sp_token',
  string: 'sp_string',
  date: 'sp_date',
  number: 'sp_number',
  quantity: 'sp_quantity',
  reference: 'sp_reference',
  uri: 'sp_uri',
};

export interface FilterScope {
  params: QueryParams;
  resourceType: string;
  resourceTypeParam: string;
  baseUrl: string;
}

/**
 * Turns one search filter into a SQL condition on the resource row `r`, or undefined when the
 * filter has no effect (an empty value, which the FHIR spec says to ignore).
 */
export function filterCondition(scope: FilterScope, filter: Filter): string | undefined {
  const { definition, details } = resolveSearchParameter(scope.resourceType, filter.code);
  const ctx: FilterContext = {
    params: scope.params,
    resourceTypeParam: scope.resourceTypeParam,
    baseUrl: scope.baseUrl,
    code: filter.code,
    operator: filter.operator,
    value: filter.value ?? '',
    definition,
    details,
  };
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
    default:
      throw unsupportedOperator(ctx);
  }
}

/** :missing=true|false (and core's :present): whether the resource has any value for the parameter. */
function presenceFilter(ctx: FilterContext): string {
  if (ctx.value !== 'true' && ctx.value !== 'false') {
    throw new OperationOutcomeError(badRequest(`:${ctx.operator} on ${ctx.code} takes true or false, not "${ctx.value}"`, ctx.code));
  }
  const wantPresent = ctx.operator === Operator.PRESENT ? ctx.value === 'true' : ctx.value === 'false';
  const table = INDEX_TABLE[ctx.definition.type as string];
  if (!table || ctx.code === '_id' || ctx.code === '_lastUpdated') {
    // Every resource has an id and a lastUpdated.
    return wantPresent ? 'TRUE' : 'FALSE';
  }
  const exists = indexRowExists(ctx, table, 'TRUE');
  return wantPresent ? exists : `NOT ${exists}`;
}
