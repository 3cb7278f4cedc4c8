/**
 * String search: by default the value (any name/address part, etc.) starts with the search text;
 * :contains finds it anywhere; both ignore case and accents. :exact compares the original text.
 * The default form is a range scan on the C-collated value_norm index: [prefix, next(prefix)).
 */
import { Operator } from '@medplum/core';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists, unsupportedOperator } from './filter-context.ts';
import { splitOrValues, unescapeSearchValue } from './search-value.ts';
import { escapeLikePattern, normalizeSearchText, prefixUpperBound, sanitizeText } from './text-normalize.ts';

export function stringFilter(ctx: FilterContext): string | undefined {
  const condition = stringMatch(ctx);
  return condition && indexRowExists(ctx, 'sp_string', condition);
}

/** The condition on an sp_string row `x` for the value's alternatives. */
export function stringMatch(ctx: FilterContext): string | undefined {
  const alternatives = splitOrValues(ctx.value).map(unescapeSearchValue);
  if (alternatives.length === 0) {
    return undefined;
  }
  const conditions = alternatives.map((alt) => {
    switch (ctx.operator) {
      case Operator.EQUALS:
      case Operator.STARTS_WITH:
        return startsWith(ctx, normalizeSearchText(alt));
      case Operator.CONTAINS:
        return `x.value_norm LIKE ${ctx.params.add('%' + escapeLikePattern(normalizeSearchText(alt)) + '%')}`;
      case Operator.EXACT:
        return `(x.value_norm = ${ctx.params.add(normalizeSearchText(alt))} AND x.value_raw = ${ctx.params.add(sanitizeText(alt))})`;
      default:
        throw unsupportedOperator(ctx);
    }
  });
  return conditions.join(' OR ');
}

function startsWith(ctx: FilterContext, prefix: string): string {
  if (!prefix) {
    // Only accents or marks were given; every value starts with the empty string.
    return 'TRUE';
  }
  const upper = prefixUpperBound(prefix);
  const lowerBound = `x.value_norm >= ${ctx.params.add(prefix)}`;
  return upper === undefined ? lowerBound : `(${lowerBound} AND x.value_norm < ${ctx.params.add(upper)})`;
}
