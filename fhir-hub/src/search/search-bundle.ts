import {
  badRequest,
  DEFAULT_MAX_SEARCH_COUNT,
  DEFAULT_SEARCH_COUNT,
  formatSearchQuery,
  OperationOutcomeError,
} from '@medplum/core';
import type { SearchRequest, WithId } from '@medplum/core';
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/connect.ts';
import { assertSearchableType, initSearchDefinitions } from './definitions.ts';
import { filterCondition } from './filter.ts';
import { QueryParams } from './query-params.ts';
import { orderByClause } from './sort.ts';

/** Page size when `_count` is absent (20, core's default). */
export const DEFAULT_PAGE_SIZE = DEFAULT_SEARCH_COUNT;
/** Largest page served; a larger `_count` is lowered to it (1000, core's default). */
export const MAX_PAGE_SIZE = DEFAULT_MAX_SEARCH_COUNT;

export interface SearchBundleOptions {
  /** Public base URL of the hub, e.g. "https://hub.example.org/" (fullUrl = base + "fhir/R4/Type/id"). */
  baseUrl: string;
}

/**
 * Runs a FHIR search against the resource table and its index and answers a searchset Bundle.
 * `total` is exact: counted when `_total=accurate` (or `_count=0`, e.g. `_summary=count`), and
 * otherwise given for free when the last page is reached; `_total=none` never counts.
 * Entries are the matches only: `_include`/`_revinclude` are kept in the links but the included
 * resources are the caller's to add (the repository does it with fhir-router's getExtraEntries).
 * Throws OperationOutcomeError (400) for unknown parameters, bad values and unsupported features.
 */
export async function searchBundle<T extends Resource = Resource>(
  db: Queryable,
  request: SearchRequest<T>,
  options: SearchBundleOptions
): Promise<Bundle<WithId<T>>> {
  initSearchDefinitions();
  rejectUnsupported(request);
  const resourceType = request.resourceType;
  assertSearchableType(resourceType);
  const count = pageSize(request.count);
  const offset = pageOffset(request.offset);
  const baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : options.baseUrl + '/';

  const params = new QueryParams();
  const scope = { params, resourceType, resourceTypeParam: params.add(resourceType), baseUrl };
  const conditions = [`r.resource_type = ${scope.resourceTypeParam}`, 'NOT r.deleted'];
  for (const filter of request.filters ?? []) {
    const condition = filterCondition(scope, filter);
    if (condition) {
      conditions.push(condition);
    }
  }
  const where = `FROM resource r WHERE ${conditions.join('\n  AND ')}`;
  const whereParamCount = params.values.length;

  let rows: { id: string; content: string }[] = [];
  let hasMore = false;
  if (count > 0) {
    const orderBy = orderByClause(params, resourceType, request.sortRules);
    const page = `LIMIT ${params.add(count + 1)} OFFSET ${params.add(offset)}`;
    rows = await db.unsafe(`SELECT r.id, r.content ${where}\n${orderBy}\n${page}`, params.values as never[]);
    hasMore = rows.length > count;
    rows = rows.slice(0, count);
  }

  let total: number | undefined;
  if (request.total === 'accurate' || (count === 0 && request.total !== 'none')) {
    const [{ n }] = await db.unsafe(`SELECT count(*)::int AS n ${where}`, params.values.slice(0, whereParamCount) as never[]);
    total = n as number;
  } else if (request.total !== 'none' && !hasMore && (rows.length > 0 || offset === 0)) {
    total = offset + rows.length;
  }

  const typeUrl = `${baseUrl}fhir/R4/${resourceType}`;
  const entry = rows.map(
    (row): BundleEntry<WithId<T>> => ({
      fullUrl: `${typeUrl}/${row.id}`,
      resource: JSON.parse(row.content) as WithId<T>,
      search: { mode: 'match' },
    })
  );
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total === undefined ? {} : { total }),
    link: pageLinks(typeUrl, request, count, offset, hasMore),
    entry,
  };
}

function pageLinks(typeUrl: string, request: SearchRequest, count: number, offset: number, hasMore: boolean): BundleLink[] {
  const at = (pageOffset: number): string => typeUrl + formatSearchQuery({ ...request, count, offset: pageOffset });
  const links: BundleLink[] = [
    { relation: 'self', url: at(offset) },
    { relation: 'first', url: at(0) },
  ];
  if (hasMore && count > 0) {
    links.push({ relation: 'next', url: at(offset + count) });
  }
  if (offset > 0 && count > 0) {
    links.push({ relation: 'previous', url: at(Math.max(0, offset - count)) });
  }
  return links;
}

function pageSize(count: number | undefined): number {
  if (count === undefined) {
    return DEFAULT_PAGE_SIZE;
  }
  if (!Number.isInteger(count) || count < 0) {
    throw new OperationOutcomeError(badRequest(`_count must be a whole number from 0 to ${MAX_PAGE_SIZE}`, '_count'));
  }
  return Math.min(count, MAX_PAGE_SIZE);
}

function pageOffset(offset: number | undefined): number {
  if (offset === undefined) {
    return 0;
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new OperationOutcomeError(badRequest('_offset must be a whole number, 0 or more', '_offset'));
  }
  return offset;
}

function rejectUnsupported(request: SearchRequest): void {
  const unsupported: [boolean, string][] = [
    [request.cursor !== undefined, '_cursor'],
    [!!request.types?.length, '_type (searching several resource types at once)'],
  ];
  for (const [present, what] of unsupported) {
    if (present) {
      throw new OperationOutcomeError(badRequest(`${what} is not supported yet`, what.split(' ')[0]));
    }
  }
}
