/**
 * Composite search (code-value-quantity=http://loinc.org|8480-6$gt100): every component must match
 * within the same element. Component rows are stored under '<code>#<n>' with a shared grp per
 * element (see index-rows.ts), so each alternative is a join of one filtered row set per component
 * on grp.
 */
import { badRequest, getSearchParameterDetails, Operator, OperationOutcomeError } from '@medplum/core';
import { indexedParam } from './definitions.ts';
import type { IndexedParamType } from './definitions.ts';
import type { FilterContext } from './filter-context.ts';
import { invalidValue, unsupportedOperator } from './filter-context.ts';
import { dateMatch } from './filter-date.ts';
import { numberMatch, quantityMatch } from './filter-number.ts';
import { referenceValueMatch } from './filter-reference.ts';
import { stringMatch } from './filter-string.ts';
import { tokenMatch } from './filter-token.ts';
import { uriMatch } from './filter-uri.ts';
import { componentCode } from './index-rows.ts';
import { splitComposite, splitOrValues } from './search-value.ts';

export const VALUE_TABLE: Record<IndexedParamType, string> = {
  token: 'sp_token',
  string: 'sp_string',
  date: 'sp_date',
  number: 'sp_number',
  quantity: 'sp_quantity',
  reference: 'sp_reference',
  uri: 'sp_uri',
};

const VALUE_MATCH: Record<IndexedParamType, (ctx: FilterContext) => string | undefined> = {
  token: tokenMatch,
  string: stringMatch,
  date: dateMatch,
  number: numberMatch,
  quantity: quantityMatch,
  reference: referenceValueMatch,
  uri: uriMatch,
};

export function compositeFilter(ctx: FilterContext): string | undefined {
  if (ctx.operator !== Operator.EQUALS) {
    throw unsupportedOperator(ctx);
  }
  const components = indexedParam(ctx.resourceType, ctx.code)?.components;
  if (!components) {
    throw new OperationOutcomeError(badRequest(`Search on the composite parameter ${ctx.code} is not supported`, ctx.code));
  }
  const alternatives = splitOrValues(ctx.value);
  if (alternatives.length === 0) {
    return undefined;
  }
  const conditions = alternatives.map((alt) => {
    const parts = splitComposite(alt);
    if (parts.length !== components.length || parts.some((p) => p === '')) {
      throw invalidValue(ctx, alt, `${components.length} values separated by $`);
    }
    const rowSets = components.map((component, i) => {
      const componentCtx: FilterContext = {
        ...ctx,
        code: componentCode(ctx.code, i),
        operator: Operator.EQUALS,
        value: parts[i],
        definition: component.definition,
        details: getSearchParameterDetails(ctx.resourceType, component.definition),
      };
      const match = VALUE_MATCH[component.type](componentCtx) ?? 'TRUE';
      return (
        `(SELECT x.grp FROM ${VALUE_TABLE[component.type]} x WHERE x.rid = ${ctx.row}.rid` +
        ` AND x.resource_type = ${ctx.resourceTypeParam} AND x.code = ${ctx.params.add(componentCtx.code)} AND (${match})) c${i}`
      );
    });
    const joins = rowSets.slice(1).map((set, i) => `JOIN ${set} ON c${i + 1}.grp = c0.grp`);
    return `EXISTS (SELECT 1 FROM ${rowSets[0]} ${joins.join(' ')})`;
  });
  return conditions.length === 1 ? conditions[0] : `(${conditions.join(' OR ')})`;
}
