/**
 * The hub's search: an index of every search parameter value (written with each resource) and
 * FHIR search over it in SQL. See README.md beside this file for what is supported.
 */
export { initSearchDefinitions } from './definitions.ts';
export { deleteSearchIndex, writeIndexRows, writeSearchIndex, writeSearchIndexBatch } from './write-index.ts';
export { extractSearchIndexRows } from './index-rows.ts';
export type { SearchIndexRows } from './index-rows.ts';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, searchBundle } from './search-bundle.ts';
export type { SearchBundleOptions } from './search-bundle.ts';
export { parseSearchQuery } from './parse-query.ts';
export { fromSearchRequest, toSearchRequest } from './search-request.ts';
export type { RawSearchQuery } from './parse-query.ts';
export { isSearchQuery } from './search-query.ts';
export type { SearchQuery } from './search-query.ts';
export { parseHttpSearch, runHttpSearch } from './http-search.ts';
export { applyReferenceTypeModifiers } from './type-modifiers.ts';
export { SEARCH_PARAMETERS_CHANNEL, SearchParameterRegistry } from './search-parameter-registry.ts';
export { reindexSearch } from './reindex.ts';
export type { ReindexOptions, ReindexProgress } from './reindex.ts';
