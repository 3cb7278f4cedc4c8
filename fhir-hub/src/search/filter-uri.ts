/**
 * URI search: exact match by default; :below (the stored URI starts with the search value) and
 * :above (the search value starts with the stored URI), both on whole strings.
 */
import { Operator } from '@medplum/core';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists, unsupportedOperator } from './filter-context.ts';
import { splitOrValues, unescapeSearchValue } from './search-value.ts';
import { capIndexedText, prefixUpperBound } from './text-normalize.ts';

export function uriFilter(ctx: FilterContext): string | undefined {
  const condition = uriMatch(ctx);
  return condition && indexRowExists(ctx, 'sp_uri', condition);
}

/** The condition on an sp_uri row `x` for the value's alternatives. */
export function uriMatch(ctx: FilterContext): string | undefined {
  const alternatives = splitOrValues(ctx.value).map(unescapeSearchValue);
  if (alternatives.length === 0) {
    return undefined;
  }
  const conditions = alternatives.map((alt) => {
    switch (ctx.operator) {
      case Operator.EQUALS:
        return `x.value = ${ctx.params.add(capIndexedText(alt))}`;
      case Operator.BELOW: {
        const prefix = capIndexedText(alt);
        const upper = prefixUpperBound(prefix);
        const lower = `x.value >= ${ctx.params.add(prefix)}`;
        return upper === undefined ? lower : `(${lower} AND x.value < ${ctx.params.add(upper)})`;
      }
      case Operator.ABOVE:
        return `starts_with(${ctx.params.add(alt)}::text, x.value)`;
      default:
        throw unsupportedOperator(ctx);
    }
  });
  return conditions.join(' OR ');
}
