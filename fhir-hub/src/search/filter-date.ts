/**
 * Date search (FHIR R4 search §2.1.1.4 / prefixes): stored values and search values are both
 * ranges [low, high]; with the search range [A, B]:
 *   eq  the search range contains the value     low >= A AND high <= B
 *   ne  it does not                             NOT eq
 *   gt  some of the value lies after B          high > B
 *   lt  some of the value lies before A         low < A
 *   ge  gt OR eq                                high > B OR low >= A
 *   le  lt OR eq                                low < A OR high <= B
 *   sa  the value starts after B                low > B
 *   eb  the value ends before A                 high < A
 *   ap  the value overlaps [A, B] widened by 10% of the distance from now (at least a day)
 */
import { Operator } from '@medplum/core';
import { parseDateRange, toTimestampLiteral } from './date-range.ts';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists, invalidValue, prefixedAlternatives, unsupportedOperator } from './filter-context.ts';
import { splitOrValues, unescapeSearchValue } from './search-value.ts';

const DAY_MS = 86_400_000;

/** Condition for a date parameter stored in sp_date. */
export function dateFilter(ctx: FilterContext): string | undefined {
  const condition = dateMatch(ctx);
  return condition && indexRowExists(ctx, 'sp_date', condition);
}

/** The condition on an sp_date row `x` (OR of the value's alternatives); undefined when empty. */
export function dateMatch(ctx: FilterContext): string | undefined {
  return dateAlternatives(ctx, 'x.low', 'x.high');
}

/** Condition for `_lastUpdated`, read from the resource row (an instant: low = high). */
export function lastUpdatedFilter(ctx: FilterContext): string | undefined {
  return dateAlternatives(ctx, `${ctx.row}.last_updated`, `${ctx.row}.last_updated`);
}

function dateAlternatives(ctx: FilterContext, low: string, high: string): string | undefined {
  const alternatives = prefixedAlternatives(ctx.operator, splitOrValues(ctx.value));
  if (alternatives.length === 0) {
    return undefined;
  }
  const conditions = alternatives.map(({ operator, value }) => {
    const range = parseDateRange(unescapeSearchValue(value));
    if (!range) {
      throw invalidValue(ctx, value, 'a FHIR date such as 2024, 2024-03, 2024-03-01 or 2024-03-01T10:00:00Z');
    }
    return dateComparison(ctx, operator, range.low, range.high, low, high);
  });
  return conditions.length === 1 ? conditions[0] : `(${conditions.join(' OR ')})`;
}

function dateComparison(ctx: FilterContext, operator: string, a: number, b: number, low: string, high: string): string {
  const at = (ms: number): string => `${ctx.params.add(toTimestampLiteral(ms))}::timestamptz`;
  switch (operator) {
    // The conjuncts after the first are implied (low <= high), there so an index on low or high
    // can bound the scan.
    case Operator.EQUALS:
      return `(${low} >= ${at(a)} AND ${high} <= ${at(b)} AND ${low} <= ${at(b)})`;
    case Operator.NOT_EQUALS:
      return `NOT (${low} >= ${at(a)} AND ${high} <= ${at(b)})`;
    case Operator.GREATER_THAN:
      return `${high} > ${at(b)}`;
    case Operator.LESS_THAN:
      return `${low} < ${at(a)}`;
    case Operator.GREATER_THAN_OR_EQUALS:
      return `((${high} > ${at(b)} OR ${low} >= ${at(a)}) AND ${high} >= ${at(a)})`;
    case Operator.LESS_THAN_OR_EQUALS:
      return `((${low} < ${at(a)} OR ${high} <= ${at(b)}) AND ${low} <= ${at(b)})`;
    case Operator.STARTS_AFTER:
      return `${low} > ${at(b)}`;
    case Operator.ENDS_BEFORE:
      return `${high} < ${at(a)}`;
    case Operator.APPROXIMATELY: {
      const margin = Math.max(DAY_MS, Math.abs(Date.now() - a) * 0.1);
      return `(${low} <= ${at(b + margin)} AND ${high} >= ${at(a - margin)})`;
    }
    default:
      throw unsupportedOperator({ ...ctx, operator });
  }
}
