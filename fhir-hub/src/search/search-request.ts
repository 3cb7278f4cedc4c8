/**
 * Conversions between the hub's SearchQuery and core's SearchRequest, the type FhirRepository.search
 * takes. The HTTP layer parses with parse-query.ts and hands the repository (and whatever wraps it,
 * such as the auth layer's scoped repository) a SearchRequest whose filters keep the raw key
 * (`name:exact`, `subject:Patient.identifier`, `code-value-quantity`) with operator `eq` and the raw
 * value, so the round trip back to a SearchQuery loses nothing.
 */
import { getSearchParameters, globalSchema, Operator } from '@medplum/core';
import type { Filter, IncludeTarget, SearchRequest } from '@medplum/core';
import type { ResourceType } from '@medplum/fhirtypes';
import { currentSearchContext } from '../trace-context.ts';
import { initSearchDefinitions } from './definitions.ts';
import type { IncludeSpec, RawFilter, SearchQuery } from './search-query.ts';

const PREFIXES = new Set<string>(['ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);
const ORDERED_TYPES = new Set(['number', 'date', 'quantity']);

/**
 * A SearchRequest (from the HTTP layer, or parsed by core for conditional writes, batch entries and
 * subscriptions) as a SearchQuery. Unknown parameters are an error unless the request being served
 * is an HTTP search under lenient handling: a conditional write must never ignore a parameter.
 */
export function fromSearchRequest(request: SearchRequest): SearchQuery {
  initSearchDefinitions();
  const types = request.types?.length ? [...request.types] : [request.resourceType];
  const filters: RawFilter[] = (request.filters ?? []).map((filter) => toRawFilter(types[0], filter));
  const toSpec = (target: IncludeTarget): IncludeSpec => ({
    sourceType: target.resourceType,
    code: target.searchParam,
    ...(target.targetType ? { targetType: target.targetType } : {}),
    iterate: target.modifier === Operator.ITERATE,
  });
  return {
    resourceTypes: types,
    systemLevel: !!request.types?.length,
    filters,
    sort: (request.sortRules ?? []).map((rule) => ({ code: rule.code, descending: !!rule.descending })),
    count: request.count,
    offset: request.offset,
    cursor: request.cursor,
    total: request.total,
    summary: request.summary,
    elements: request.fields,
    include: (request.include ?? []).map(toSpec),
    revinclude: (request.revInclude ?? []).map(toSpec),
    handling: currentSearchContext()?.handling ?? 'strict',
    issues: [],
  };
}

function toRawFilter(resourceType: string, filter: Filter): RawFilter {
  const { code, operator, value } = filter;
  if (code.startsWith('_has:') || code.includes('.') || operator === Operator.EQUALS || operator === Operator.STARTS_WITH) {
    return { key: code, value };
  }
  const paramType = getSearchParameters(resourceType)?.[code]?.type ?? '';
  if (PREFIXES.has(operator) && ORDERED_TYPES.has(paramType)) {
    return { key: code, value: operator + value };
  }
  if (operator === Operator.PRESENT) {
    return { key: `${code}:missing`, value: value === 'true' ? 'false' : value === 'false' ? 'true' : value };
  }
  if (operator === Operator.NOT_EQUALS) {
    return { key: `${code}:not`, value };
  }
  return { key: `${code}:${operator}`, value };
}

/**
 * The SearchQuery as a SearchRequest for FhirRepository.search. `*` includes are spelled out as
 * every reference parameter they stand for, so fhir-router's include resolution (used by wrappers
 * of the repository) understands them too.
 */
export function toSearchRequest(query: SearchQuery): SearchRequest {
  const systemLevel = query.systemLevel;
  const request: SearchRequest = {
    resourceType: (systemLevel ? 'MultipleTypes' : query.resourceTypes[0]) as ResourceType,
    ...(systemLevel ? { types: query.resourceTypes as ResourceType[] } : {}),
    filters: query.filters.map((f): Filter => ({ code: f.key, operator: Operator.EQUALS, value: f.value })),
    sortRules: query.sort.map((s) => ({ code: s.code, descending: s.descending })),
  };
  if (query.count !== undefined) request.count = query.count;
  if (query.offset !== undefined) request.offset = query.offset;
  if (query.cursor !== undefined) request.cursor = query.cursor;
  if (query.total !== undefined) request.total = query.total;
  if (query.summary === 'true' || query.summary === 'text' || query.summary === 'data') request.summary = query.summary;
  if (query.elements?.length) request.fields = query.elements;
  const include = query.include.flatMap((spec) => expandInclude(spec, query.resourceTypes));
  const revInclude = query.revinclude.flatMap((spec) => expandRevinclude(spec, query.resourceTypes));
  if (include.length > 0) request.include = include;
  if (revInclude.length > 0) request.revInclude = revInclude;
  return request;
}

function target(spec: IncludeSpec, resourceType: string, searchParam: string): IncludeTarget {
  return {
    resourceType,
    searchParam,
    ...(spec.targetType ? { targetType: spec.targetType } : {}),
    ...(spec.iterate ? { modifier: Operator.ITERATE } : {}),
  };
}

function expandInclude(spec: IncludeSpec, searched: string[]): IncludeTarget[] {
  if (spec.code !== '*') return [target(spec, spec.sourceType, spec.code)];
  const sources = spec.sourceType === '*' ? searched : [spec.sourceType];
  return sources.flatMap((type) => referenceCodes(type).map((code) => target(spec, type, code)));
}

function expandRevinclude(spec: IncludeSpec, searched: string[]): IncludeTarget[] {
  if (spec.code !== '*') return [target(spec, spec.sourceType, spec.code)];
  const sources = spec.sourceType === '*' ? Object.keys(globalSchema.types) : [spec.sourceType];
  const result: IncludeTarget[] = [];
  for (const type of sources) {
    for (const definition of Object.values(getSearchParameters(type) ?? {})) {
      const targets = (definition.target ?? []) as string[];
      if (definition.type === 'reference' && definition.code && searched.some((t) => targets.includes(t))) {
        result.push(target(spec, type, definition.code));
      }
    }
  }
  return result;
}

function referenceCodes(resourceType: string): string[] {
  return Object.values(getSearchParameters(resourceType) ?? {})
    .filter((d) => d.type === 'reference' && d.code && !d.code.startsWith('_'))
    .map((d) => d.code as string);
}
