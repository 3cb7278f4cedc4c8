import {
  badRequest,
  getSearchParameterDetails,
  getSearchParameters,
  isResourceType,
  OperationOutcomeError,
} from '@medplum/core';
import type { FhirPathAtom, SearchParameterDetails } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../definitions/load-definitions.ts';

/** The search parameter types that have an index table. */
export type IndexedParamType = 'token' | 'string' | 'date' | 'number' | 'quantity' | 'reference' | 'uri';

export interface IndexedParam {
  code: string;
  type: IndexedParamType;
  expression: FhirPathAtom;
  definition: SearchParameter;
}

/**
 * Parameters answered from the resource table itself rather than the index:
 * `_id` (resource.id) and `_lastUpdated` (resource.last_updated).
 */
export const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);

const INDEXED_TYPES = new Set<string>(['token', 'string', 'date', 'number', 'quantity', 'reference', 'uri']);

let definitionsLoaded = false;

/**
 * Loads the FHIR R4 base StructureDefinitions and SearchParameters into core's global schema.
 * Idempotent; the first call takes about half a second.
 */
export function initSearchDefinitions(): void {
  if (definitionsLoaded) {
    return;
  }
  loadFhirDefinitions();
  definitionsLoaded = true;
}

// Derived from the global definitions, which only grow by initSearchDefinitions (once).
const planCache = new Map<string, IndexedParam[]>();

/**
 * The parameters written to the index for one resource type, with their FHIRPath expressions
 * narrowed to that type. Skipped: `_id`/`_lastUpdated` (columns), parameters without an
 * expression (`_text`, `_content`, `_query`), composite and special parameters.
 */
export function getIndexedParams(resourceType: string): IndexedParam[] {
  let plan = planCache.get(resourceType);
  if (!plan) {
    plan = [];
    for (const definition of Object.values(getSearchParameters(resourceType) ?? {})) {
      if (!isIndexed(definition)) {
        continue;
      }
      const details = getSearchParameterDetails(resourceType, definition);
      plan.push({
        code: definition.code as string,
        type: definition.type as IndexedParamType,
        expression: details.parsedExpression,
        definition,
      });
    }
    planCache.set(resourceType, plan);
  }
  return plan;
}

export function isIndexed(definition: SearchParameter): boolean {
  return (
    !!definition.expression && INDEXED_TYPES.has(definition.type as string) && !COLUMN_PARAMS.has(definition.code as string)
  );
}

/** Throws a 400 OperationOutcome unless the type is a FHIR resource type that can be searched. */
export function assertSearchableType(resourceType: string): void {
  if (!isResourceType(resourceType) || !getSearchParameters(resourceType)) {
    throw new OperationOutcomeError(badRequest(`Unknown or unsearchable resource type: ${resourceType}`));
  }
}

export interface ResolvedParam {
  definition: SearchParameter;
  details: SearchParameterDetails;
}

/**
 * The definition of a search parameter named in a request, or a 400 OperationOutcome that says
 * why it cannot be used (unknown, chained, or not supported yet).
 */
export function resolveSearchParameter(resourceType: string, code: string): ResolvedParam {
  if (code.startsWith('_has:') || code.includes('.')) {
    throw new OperationOutcomeError(badRequest(`Chained search is not supported yet: ${code}`, code));
  }
  const definition = getSearchParameters(resourceType)?.[code];
  if (!definition) {
    throw new OperationOutcomeError(badRequest(`Unknown search parameter: ${code}`, code));
  }
  if (!COLUMN_PARAMS.has(code) && !isIndexed(definition)) {
    const kind = definition.type === 'composite' || definition.type === 'special' ? `${definition.type} ` : '';
    throw new OperationOutcomeError(badRequest(`Search on the ${kind}parameter ${code} is not supported yet`, code));
  }
  return { definition, details: getSearchParameterDetails(resourceType, definition) };
}
