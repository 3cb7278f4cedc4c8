/**
 * Parses a FHIR search query (GET query string or POST _search form) into a SearchQuery.
 * Written here rather than taken from core's parseSearchRequest, which drops reference type
 * modifiers, rejects comma-separated dates and throws plain Errors on composite and special
 * parameters. Filters stay raw (key + value) until they are resolved against each resource type.
 */
import { badRequest, getSearchParameters, isResourceType, OperationOutcomeError } from '@medplum/core';
import { initSearchDefinitions } from './definitions.ts';
import type { IncludeSpec, SearchQuery, SortKey, SummaryMode } from './search-query.ts';

export type RawSearchQuery = Record<string, string | string[] | undefined>;

/** Largest page served; a larger `_count` is lowered to it. */
export const MAX_PAGE_SIZE = 1000;

/** Parameters FHIR defines that the hub does not implement: always a 400, never silently ignored. */
const UNSUPPORTED = new Set(['_list', '_contained', '_containedType', '_query', '_text', '_content']);
const IGNORED = new Set(['_', '_format', '_pretty']);
const SUMMARY_MODES = new Set(['true', 'text', 'data', 'count', 'false']);
const TOTAL_MODES = new Set(['none', 'estimate', 'accurate']);

export interface ParseOptions {
  handling?: 'strict' | 'lenient';
}

/**
 * `resourceType` is the type in the path, or undefined for a system-level search (which needs
 * `_type`). Throws OperationOutcomeError (400) for malformed result parameters.
 */
export function parseSearchQuery(
  resourceType: string | undefined,
  query: RawSearchQuery | [string, string][],
  options: ParseOptions = {},
): SearchQuery {
  initSearchDefinitions();
  const pairs = Array.isArray(query) ? query : toPairs(query);
  const result: SearchQuery = {
    resourceTypes: resourceType ? [resourceType] : [],
    systemLevel: !resourceType,
    filters: [],
    sort: [],
    include: [],
    revinclude: [],
    handling: options.handling ?? 'lenient',
    issues: [],
  };
  for (const [key, value] of pairs) {
    parsePair(result, key, value);
  }
  if (!resourceType && result.resourceTypes.length === 0) {
    throw new OperationOutcomeError(badRequest('A system-level search needs _type, e.g. ?_type=Patient,Practitioner', '_type'));
  }
  return result;
}

function parsePair(result: SearchQuery, key: string, value: string): void {
  const [code, modifier] = splitKey(key);
  if (IGNORED.has(code)) {
    return;
  }
  switch (code) {
    case '_sort':
      result.sort.push(...parseSort(value));
      return;
    case '_count':
      result.count = wholeNumber(value, '_count', `_count must be a whole number from 0 to ${MAX_PAGE_SIZE}`);
      return;
    case '_offset':
      result.offset = wholeNumber(value, '_offset', '_offset must be a whole number, 0 or more');
      return;
    case '_cursor':
      result.cursor = value;
      return;
    case '_total':
      if (!TOTAL_MODES.has(value)) throw bad(`_total must be none, estimate or accurate, not "${value}"`, '_total');
      result.total = value as SearchQuery['total'];
      return;
    case '_summary':
      if (!SUMMARY_MODES.has(value)) throw bad(`_summary must be true, text, data, count or false, not "${value}"`, '_summary');
      result.summary = value as SummaryMode;
      if (value === 'count') {
        result.count = 0;
        result.total = 'accurate';
      }
      return;
    case '_elements':
    case '_fields':
      result.elements = [...(result.elements ?? []), ...value.split(',').map((e) => e.trim()).filter(Boolean)];
      return;
    case '_include':
    case '_revinclude': {
      const iterate = modifier === 'iterate' || modifier === 'recurse';
      if (modifier && !iterate) throw bad(`Unknown modifier ${key}: only :iterate is defined`, key);
      const spec = parseIncludeSpec(code, value, iterate);
      (code === '_include' ? result.include : result.revinclude).push(spec);
      return;
    }
    case '_type':
      if (!result.systemLevel) throw bad('_type applies to a system-level search (GET [base]?_type=...)', '_type');
      result.resourceTypes = parseTypes(value);
      return;
  }
  if (UNSUPPORTED.has(code)) {
    throw bad(`${code} is not supported by this server`, code);
  }
  result.filters.push({ key, value });
}

function splitKey(key: string): [string, string | undefined] {
  if (key.startsWith('_has:')) return ['_has', undefined];
  const colon = key.indexOf(':');
  return colon < 0 ? [key, undefined] : [key.slice(0, colon), key.slice(colon + 1)];
}

function parseSort(value: string): SortKey[] {
  return value.split(',').map((field) => {
    const trimmed = field.trim();
    const descending = trimmed.startsWith('-');
    const code = descending ? trimmed.slice(1) : trimmed;
    if (!code) throw bad(`Invalid _sort "${value}"`, '_sort');
    return { code, descending };
  });
}

function wholeNumber(value: string, name: string, message: string): number {
  if (!/^\d{1,15}$/.test(value)) throw bad(message, name);
  return Number(value);
}

function parseTypes(value: string): string[] {
  const types = value.split(',').map((t) => t.trim()).filter(Boolean);
  if (types.length === 0) throw bad('_type names no resource type', '_type');
  for (const type of types) {
    if (!isResourceType(type) || !getSearchParameters(type)) throw bad(`Unknown resource type in _type: ${type}`, '_type');
  }
  return [...new Set(types)];
}

function parseIncludeSpec(kind: string, value: string, iterate: boolean): IncludeSpec {
  if (value === '*') {
    return { sourceType: '*', code: '*', iterate };
  }
  const parts = value.split(':');
  const [sourceType, code, targetType] = parts;
  if (parts.length < 2 || parts.length > 3 || !sourceType || !code) {
    throw bad(`Invalid ${kind} "${value}": expected SourceType:parameter[:TargetType] or *`, kind);
  }
  if (!isResourceType(sourceType)) throw bad(`Unknown resource type in ${kind}: ${sourceType}`, kind);
  if (targetType !== undefined && !isResourceType(targetType)) throw bad(`Unknown target type in ${kind}: ${targetType}`, kind);
  if (code !== '*') {
    const definition = getSearchParameters(sourceType)?.[code];
    if (definition?.type !== 'reference') {
      throw bad(`${kind}=${value}: ${sourceType} has no reference parameter ${code}`, kind);
    }
  }
  return { sourceType, code, ...(targetType ? { targetType } : {}), iterate };
}

function toPairs(query: RawSearchQuery): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(query)) {
    for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
      pairs.push([key, String(v)]);
    }
  }
  return pairs;
}

function bad(message: string, expression: string): OperationOutcomeError {
  return new OperationOutcomeError(badRequest(message, expression));
}
