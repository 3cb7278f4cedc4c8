/**
 * Token search: "code" (any system), "system|code", "|code" (no system), "system|" (any code),
 * :not (no value matches, so resources without the element match too) and :text (the display
 * text starts with the search text, or one of its words does; case- and accent-insensitive).
 * Matching is case-sensitive as the spec requires, except ContactPoint values, which core
 * indexes lower-cased (emails, phones).
 */
import { Operator } from '@medplum/core';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists, invalidValue, unsupportedOperator } from './filter-context.ts';
import { splitOrValues, splitPipes, unescapeSearchValue } from './search-value.ts';
import { capIndexedText, escapeLikePattern, normalizeSearchText } from './text-normalize.ts';

export function tokenFilter(ctx: FilterContext, code = ctx.code): string | undefined {
  const alternatives = splitOrValues(ctx.value);
  if (alternatives.length === 0) {
    return undefined;
  }
  switch (ctx.operator) {
    case Operator.EQUALS:
      return indexRowExists(ctx, 'sp_token', tokenMatches(ctx, alternatives), code);
    case Operator.NOT:
    case Operator.NOT_EQUALS:
      return `NOT ${indexRowExists(ctx, 'sp_token', tokenMatches(ctx, alternatives), code)}`;
    case Operator.TEXT:
      return indexRowExists(ctx, 'sp_token', alternatives.map((alt) => textMatches(ctx, alt)).join(' OR '), code);
    case Operator.OF_TYPE:
      return indexRowExists(ctx, 'sp_token', alternatives.map((alt) => ofTypeMatches(ctx, alt)).join(' OR '), `${code}:of-type`);
    default:
      throw unsupportedOperator(ctx);
  }
}

/** The condition on an sp_token row `x` for the value's alternatives (no modifier). */
export function tokenMatch(ctx: FilterContext): string | undefined {
  const alternatives = splitOrValues(ctx.value);
  return alternatives.length === 0 ? undefined : tokenMatches(ctx, alternatives);
}

/**
 * :of-type=system|code|value: an Identifier whose type has that coding and whose value is the
 * value. Such identifiers are indexed under '<code>:of-type' with system 'typeSystem|typeCode'.
 */
function ofTypeMatches(ctx: FilterContext, alternative: string): string {
  const parts = splitPipes(alternative);
  if (parts.length !== 3 || !parts[1] || !parts[2]) {
    throw invalidValue(ctx, alternative, 'system|code|value, the identifier type and the identifier value');
  }
  const typeKey = `${parts[0]}|${parts[1]}`;
  return `(x.system = ${ctx.params.add(capIndexedText(typeKey))} AND x.value = ${ctx.params.add(capIndexedText(parts[2]))})`;
}

/** `_id` is the resource row's own id column. */
export function idFilter(ctx: FilterContext): string | undefined {
  const ids = splitOrValues(ctx.value).map(unescapeSearchValue);
  if (ids.length === 0) {
    return undefined;
  }
  const match = `${ctx.row}.id = ANY(${ctx.params.add(ids)}::text[])`;
  switch (ctx.operator) {
    case Operator.EQUALS:
      return match;
    case Operator.NOT:
    case Operator.NOT_EQUALS:
      return `NOT ${match}`;
    default:
      throw unsupportedOperator(ctx);
  }
}

function tokenMatches(ctx: FilterContext, alternatives: string[]): string {
  const lowerCase = isContactPointParam(ctx);
  const conditions = alternatives.map((alt) => {
    const parts = splitPipes(alt);
    const fix = (s: string): string => capIndexedText(lowerCase ? s.toLowerCase() : s);
    if (parts.length === 1) {
      return `x.value = ${ctx.params.add(fix(parts[0]))}`;
    }
    const [system, value] = [parts[0], parts.slice(1).join('|')];
    if (!system) {
      return `(x.system IS NULL AND x.value = ${ctx.params.add(fix(value))})`;
    }
    if (!value) {
      return `x.system = ${ctx.params.add(capIndexedText(system))}`;
    }
    return `(x.system = ${ctx.params.add(capIndexedText(system))} AND x.value = ${ctx.params.add(fix(value))})`;
  });
  return conditions.join(' OR ');
}

function textMatches(ctx: FilterContext, alternative: string): string {
  const text = escapeLikePattern(normalizeSearchText(unescapeSearchValue(alternative)));
  return `(x.text_norm LIKE ${ctx.params.add(text + '%')} OR x.text_norm LIKE ${ctx.params.add('% ' + text + '%')})`;
}

function isContactPointParam(ctx: FilterContext): boolean {
  return !!ctx.details.elementDefinitions?.some((ed) => ed.type?.some((t) => t.code === 'ContactPoint'));
}
