/**
 * _sort: `_id` and `_lastUpdated` sort on resource columns; any indexed parameter sorts on its
 * smallest value ascending and its largest descending (FHIR leaves multi-valued sorting to the
 * server; this is what a person expects for "earliest first" / "latest first").
 * Resources without a value come last either way, and r.id breaks ties so pages are stable.
 */
import type { SortRule } from '@medplum/core';
import { badRequest, OperationOutcomeError } from '@medplum/core';
import { resolveSearchParameter } from './definitions.ts';
import type { QueryParams } from './query-params.ts';

const SORT_VALUE: Record<string, { table: string; ascending: string; descending: string }> = {
  token: { table: 'sp_token', ascending: 'min(x.value)', descending: 'max(x.value)' },
  string: { table: 'sp_string', ascending: 'min(x.value_norm)', descending: 'max(x.value_norm)' },
  date: { table: 'sp_date', ascending: 'min(x.low)', descending: 'max(x.high)' },
  number: { table: 'sp_number', ascending: 'min(x.low)', descending: 'max(x.high)' },
  quantity: { table: 'sp_quantity', ascending: 'min(x.value)', descending: 'max(x.value)' },
  reference: {
    table: 'sp_reference',
    ascending: `min(coalesce(x.target_type || '/' || x.target_id, x.target_url))`,
    descending: `max(coalesce(x.target_type || '/' || x.target_id, x.target_url))`,
  },
  uri: { table: 'sp_uri', ascending: 'min(x.value)', descending: 'max(x.value)' },
};

export function orderByClause(params: QueryParams, resourceType: string, rules: SortRule[] | undefined): string {
  const keys: string[] = [];
  for (const rule of rules ?? []) {
    const direction = rule.descending ? 'DESC' : 'ASC';
    if (rule.code === '_id') {
      keys.push(`r.id ${direction}`);
      continue;
    }
    if (rule.code === '_lastUpdated') {
      keys.push(`r.last_updated ${direction}`);
      continue;
    }
    const { definition } = resolveSearchParameter(resourceType, rule.code);
    const sortValue = SORT_VALUE[definition.type as string];
    if (!sortValue) {
      throw new OperationOutcomeError(badRequest(`Cannot sort on the ${definition.type} parameter ${rule.code}`, rule.code));
    }
    const aggregate = rule.descending ? sortValue.descending : sortValue.ascending;
    keys.push(
      `(SELECT ${aggregate} FROM ${sortValue.table} x WHERE x.rid = r.rid AND x.code = ${params.add(rule.code)}) ${direction} NULLS LAST`
    );
  }
  keys.push('r.id ASC');
  return `ORDER BY ${keys.join(', ')}`;
}
