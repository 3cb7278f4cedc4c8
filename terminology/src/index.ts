/**
 * @simpul/terminology: CodeSystems, ValueSets and ConceptMaps in memory, the FHIR terminology
 * operations over them, and the one translate() API the mappers call. See README.md.
 */

// Store
export { TerminologyStore } from './store/terminology-store.ts';
export type { CodeSystemIndex, IndexedConcept } from './store/code-system-index.ts';
export type { ConceptMapIndex } from './store/concept-map-index.ts';
export { parseCanonical } from './store/canonical.ts';

// Loading
export { loadTerminologyDir, loadTerminologyFile, loadTerminologyPath, TERMINOLOGY_FILE_EXTENSIONS } from './load/load-files.ts';
export type { LoadTerminologyOptions } from './load/load-files.ts';
export { parseTerminologyJson, parseTerminologyYaml } from './load/fhir-documents.ts';
export { parseCodeSystemCsv, parseConceptMapCsv, parseTerminologyCsv } from './load/terminology-csv.ts';
export type { TerminologyCsvOptions } from './load/terminology-csv.ts';
export type { CsvLoadOptions } from './load/csv-metadata.ts';
export type { ProgressCallback } from './load/csv-records.ts';
export { CONCEPT_MAP_CSV_HEADER, DEFAULT_CSV_EQUIVALENCE } from './load/concept-map-csv.ts';
export { CODE_SYSTEM_CSV_COLUMNS } from './load/code-system-csv.ts';
export { formatLoadProblem, TerminologyLoadError } from './load/load-problem.ts';
export type { LoadProblem } from './load/load-problem.ts';
export { checkTerminologyResource } from './validate/validate-resource.ts';
export type { ResourceProblem } from './validate/resource-checks.ts';
export { loadStarterContent, STARTER_CONTENT_DIR } from './starter-content.ts';

// Operations
export { lookup } from './operations/lookup.ts';
export type { LookupFound, LookupNotFound, LookupParams, LookupResult } from './operations/lookup.ts';
export { validateCodeInCodeSystem, validateCodeInValueSet } from './operations/validate-code.ts';
export type { ValidateCodeResult, ValidateInCodeSystemParams, ValidateInValueSetParams } from './operations/validate-code.ts';
export { expand } from './operations/expand.ts';
export type { ExpandParams } from './operations/expand.ts';
export { MAX_EXPANSION_SIZE } from './operations/value-set-expansion.ts';
export { translate } from './operations/translate.ts';
export type { TranslateMatch, TranslateParams, TranslateResult } from './operations/translate.ts';
export { lookupToParameters, translateToParameters, validateCodeToParameters } from './operations/to-parameters.ts';

// Mapper API
export { createTranslator } from './translate.ts';
export type { TranslationOutcome, Translator, TranslatorOptions } from './translate.ts';
export { UnmappedCodeTracker } from './unmapped-code-tracker.ts';
export type { UnmappedCodeEntry, UnmappedCodeSighting, UnmappedCodeTrackerOptions } from './unmapped-code-tracker.ts';
export { isMarkedUnmapped, markUnmapped, markUnmappedCoding, UNMAPPED_CODE_EXTENSION_URL } from './mark-unmapped.ts';

// SATUSEHAT systems
export { SATUSEHAT_CODE_SYSTEMS, SATUSEHAT_PATIENT_IDENTIFIER_SYSTEMS, satusehatIdentifierSystems } from './satusehat-systems.ts';
export type { SatusehatIdentifierSystems } from './satusehat-systems.ts';

// Vocabulary and errors
export { CONCEPT_MAP_EQUIVALENCES, isConceptMapEquivalence } from './resource-types.ts';
export type { ConceptMapEquivalence, TerminologyResource, TerminologyResourceType } from './resource-types.ts';
export { ERROR_CODE_SYSTEM, TerminologyError, terminologyErrorCode } from './errors.ts';
export type { TerminologyErrorKind } from './errors.ts';
