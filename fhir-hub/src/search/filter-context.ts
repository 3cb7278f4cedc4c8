import { badRequest, Operator, OperationOutcomeError } from '@medplum/core';
import type { SearchParameterDetails } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import type { QueryParams } from './query-params.ts';

/** What a per-type filter builder needs to turn one search filter into a SQL condition on `r`. */
export interface FilterContext {
  params: QueryParams;
  /** Alias of the resource row the condition is about (`r`, or a chain's/_has's inner row). */
  row: string;
  resourceType: string;
  /** Placeholder holding the searched resource type. */
  resourceTypeParam: string;
  code: string;
  /** Core's operator, or a resource type name for a reference type modifier (subject:Patient). */
  operator: string;
  value: string;
  definition: SearchParameter;
  details: SearchParameterDetails;
  /** The server base URL, so absolute references to this server compare as local ones. */
  baseUrl: string;
}

/**
 * `EXISTS` over the index rows of the current resource (`ctx.row`) for one parameter code.
 * Index rows are aliased `x` in `condition`.
 */
export function indexRowExists(ctx: FilterContext, table: string, condition: string, code = ctx.code): string {
  return (
    `EXISTS (SELECT 1 FROM ${table} x WHERE x.rid = ${ctx.row}.rid AND x.resource_type = ${ctx.resourceTypeParam}` +
    ` AND x.code = ${ctx.params.add(code)} AND (${condition}))`
  );
}

const MODIFIERS = new Set<string>([
  Operator.CONTAINS,
  Operator.EXACT,
  Operator.TEXT,
  Operator.NOT,
  Operator.ABOVE,
  Operator.BELOW,
  Operator.IN,
  Operator.NOT_IN,
  Operator.OF_TYPE,
  Operator.MISSING,
  Operator.PRESENT,
  Operator.IDENTIFIER,
  Operator.ITERATE,
]);

export function unsupportedOperator(ctx: FilterContext): OperationOutcomeError {
  const shown = MODIFIERS.has(ctx.operator) ? `Modifier :${ctx.operator}` : `Prefix ${ctx.operator}`;
  return new OperationOutcomeError(
    badRequest(`${shown} is not supported for ${ctx.definition.type} parameter ${ctx.code}`, ctx.code)
  );
}

export function invalidValue(ctx: FilterContext, value: string, expected: string): OperationOutcomeError {
  return new OperationOutcomeError(
    badRequest(`Invalid value for ${ctx.definition.type} parameter ${ctx.code}: "${value}" (expected ${expected})`, ctx.code)
  );
}

const PREFIXES = new Set<string>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/**
 * Splits an ordered (date/number/quantity) value on commas; each alternative may carry its own
 * prefix ("lt2020,gt2024"), otherwise it takes the filter's operator (which core already
 * parsed from the first alternative).
 */
export function prefixedAlternatives(operator: string, alternatives: string[]): { operator: string; value: string }[] {
  return alternatives.map((alt) => {
    const prefix = alt.slice(0, 2);
    if (PREFIXES.has(prefix) && /^[0-9+\-.]/.test(alt.slice(2))) {
      return { operator: prefix, value: alt.slice(2) };
    }
    return { operator, value: alt };
  });
}
