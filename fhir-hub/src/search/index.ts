/**
 * The hub's search: an index of every search parameter value (written with each resource) and
 * FHIR search over it in SQL. See README.md beside this file for what is supported.
 */
export { initSearchDefinitions } from './definitions.ts';
export { deleteSearchIndex, writeSearchIndex } from './write-index.ts';
export { extractSearchIndexRows } from './index-rows.ts';
export type { SearchIndexRows } from './index-rows.ts';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, searchBundle } from './search-bundle.ts';
export type { SearchBundleOptions } from './search-bundle.ts';
export { applyReferenceTypeModifiers } from './type-modifiers.ts';
export type { RawSearchQuery } from './type-modifiers.ts';
