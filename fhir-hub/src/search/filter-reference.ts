/**
 * Reference search: "Patient/123", "123" (typed by the parameter's only target type, else any
 * type with that id), an absolute URL (this server's own URLs compare as local references),
 * a type modifier (subject:Patient=123), :identifier (Reference.identifier, indexed as the token
 * code "<param>:identifier") and :not.
 */
import { isResourceType, Operator } from '@medplum/core';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists, invalidValue, unsupportedOperator } from './filter-context.ts';
import { tokenFilter } from './filter-token.ts';
import { parseReferenceString } from './reference-string.ts';
import { splitOrValues, unescapeSearchValue } from './search-value.ts';

export function referenceFilter(ctx: FilterContext): string | undefined {
  if (ctx.operator === Operator.IDENTIFIER) {
    return tokenFilter({ ...ctx, operator: Operator.EQUALS }, `${ctx.code}:identifier`);
  }
  const alternatives = splitOrValues(ctx.value).map(unescapeSearchValue);
  if (alternatives.length === 0) {
    return undefined;
  }
  let typeModifier: string | undefined;
  let negated = false;
  if (ctx.operator === Operator.NOT || ctx.operator === Operator.NOT_EQUALS) {
    negated = true;
  } else if (isResourceType(ctx.operator)) {
    typeModifier = ctx.operator;
  } else if (ctx.operator !== Operator.EQUALS) {
    throw unsupportedOperator(ctx);
  }
  const conditions = alternatives.map((alt) => referenceMatch(ctx, alt, typeModifier));
  const exists = indexRowExists(ctx, 'sp_reference', conditions.join(' OR '));
  return negated ? `NOT ${exists}` : exists;
}

/** The condition on an sp_reference row `x` for the value's alternatives (no modifier). */
export function referenceValueMatch(ctx: FilterContext): string | undefined {
  const alternatives = splitOrValues(ctx.value).map(unescapeSearchValue);
  return alternatives.length === 0 ? undefined : alternatives.map((alt) => referenceMatch(ctx, alt, undefined)).join(' OR ');
}

function referenceMatch(ctx: FilterContext, value: string, typeModifier: string | undefined): string {
  const local = localReference(ctx, value, typeModifier);
  if (!local) {
    return `x.target_url = ${ctx.params.add(value)}`;
  }
  if (typeModifier && local.type && local.type !== typeModifier) {
    throw invalidValue(ctx, value, `a reference to ${typeModifier}, as the :${typeModifier} modifier says`);
  }
  const type = local.type ?? typeModifier ?? singleTargetType(ctx);
  const id = `x.target_id = ${ctx.params.add(local.id)}`;
  return type ? `(${id} AND x.target_type = ${ctx.params.add(type)})` : id;
}

/** The local type/id a search value names, or undefined for a foreign URL/canonical/urn. */
function localReference(ctx: FilterContext, value: string, typeModifier: string | undefined): { type?: string; id: string } | undefined {
  const ownPrefix = `${ctx.baseUrl}fhir/R4/`;
  const relative = value.startsWith(ownPrefix) ? value.slice(ownPrefix.length) : value;
  if (!relative.includes('/') && !relative.includes(':') && relative !== '') {
    return { id: relative };
  }
  const parsed = parseReferenceString(relative);
  if (parsed.targetId) {
    return { type: parsed.targetType as string, id: parsed.targetId };
  }
  if (typeModifier) {
    throw invalidValue(ctx, value, `an id or ${typeModifier}/id with the :${typeModifier} modifier`);
  }
  return undefined;
}

function singleTargetType(ctx: FilterContext): string | undefined {
  const targets = ctx.details.referenceTargetTypes ?? ctx.definition.target;
  return targets?.length === 1 ? targets[0] : undefined;
}
