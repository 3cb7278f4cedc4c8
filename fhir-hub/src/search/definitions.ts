import {
  badRequest,
  getSearchParameterDetails,
  getSearchParameters,
  globalSchema,
  isResourceType,
  OperationOutcomeError,
  parseFhirPath,
} from '@medplum/core';
import type { FhirPathAtom, SearchParameterDetails } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../definitions/load-definitions.ts';

/** The search parameter types that have an index table. */
export type IndexedParamType = 'token' | 'string' | 'date' | 'number' | 'quantity' | 'reference' | 'uri';

export interface CompositeComponent {
  type: IndexedParamType;
  /** Relative to each element the composite's own expression yields. */
  expression: FhirPathAtom;
  definition: SearchParameter;
}

export interface IndexedParam {
  code: string;
  /** 'position' is the special parameter Location.near (table sp_position). */
  type: IndexedParamType | 'composite' | 'position';
  expression: FhirPathAtom;
  definition: SearchParameter;
  components?: CompositeComponent[];
}

/**
 * Parameters answered from the resource table itself rather than the index:
 * `_id` (resource.id) and `_lastUpdated` (resource.last_updated).
 */
export const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);

const INDEXED_TYPES = new Set<string>(['token', 'string', 'date', 'number', 'quantity', 'reference', 'uri']);

/** Special parameters the hub implements, by "Type.code". */
const POSITION_PARAMS = new Set(['Location.near']);

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

// Derived from the global definitions; cleared when a SearchParameter is added at run time.
const planCache = new Map<string, IndexedParam[]>();
let definitionsByUrl: Map<string, SearchParameter> | undefined;

/**
 * The parameters written to the index for one resource type, with their FHIRPath expressions
 * narrowed to that type. Skipped: `_id`/`_lastUpdated` (columns), parameters without an
 * expression (`_text`, `_content`, `_query`), and special parameters other than Location.near.
 */
export function getIndexedParams(resourceType: string): IndexedParam[] {
  let plan = planCache.get(resourceType);
  if (!plan) {
    plan = [];
    for (const definition of Object.values(getSearchParameters(resourceType) ?? {})) {
      const param = toIndexedParam(resourceType, definition);
      if (param) {
        plan.push(param);
      }
    }
    planCache.set(resourceType, plan);
  }
  return plan;
}

function toIndexedParam(resourceType: string, definition: SearchParameter): IndexedParam | undefined {
  const code = definition.code as string;
  if (!definition.expression || COLUMN_PARAMS.has(code)) {
    return undefined;
  }
  const expression = getSearchParameterDetails(resourceType, definition).parsedExpression;
  if (INDEXED_TYPES.has(definition.type as string)) {
    return { code, type: definition.type as IndexedParamType, expression, definition };
  }
  if (definition.type === 'special' && POSITION_PARAMS.has(`${resourceType}.${code}`)) {
    return { code, type: 'position', expression, definition };
  }
  if (definition.type === 'composite') {
    const components = compositeComponents(definition);
    return components ? { code, type: 'composite', expression, definition, components } : undefined;
  }
  return undefined;
}

/** The components of a composite parameter, or undefined when one of them is not indexable. */
export function compositeComponents(definition: SearchParameter): CompositeComponent[] | undefined {
  const components: CompositeComponent[] = [];
  for (const component of definition.component ?? []) {
    const target = component.definition ? searchParameterByUrl(component.definition) : undefined;
    if (!target || !INDEXED_TYPES.has(target.type as string) || !component.expression) {
      return undefined;
    }
    components.push({ type: target.type as IndexedParamType, expression: parseFhirPath(component.expression), definition: target });
  }
  return components.length > 0 ? components : undefined;
}

function searchParameterByUrl(url: string): SearchParameter | undefined {
  if (!definitionsByUrl) {
    definitionsByUrl = new Map();
    for (const type of Object.keys(globalSchema.types)) {
      for (const definition of Object.values(getSearchParameters(type) ?? {})) {
        if (definition.url) definitionsByUrl.set(definition.url, definition);
      }
    }
  }
  return definitionsByUrl.get(url);
}

/** Forgets derived plans (all, or of the given types) after the definitions changed. */
export function invalidateSearchPlans(resourceTypes?: string[]): void {
  definitionsByUrl = undefined;
  if (!resourceTypes) {
    planCache.clear();
    return;
  }
  for (const type of resourceTypes) {
    planCache.delete(type);
  }
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
 * A search parameter the request names that the hub does not know. Under `Prefer: handling=lenient`
 * (the default) it is dropped and reported; under `handling=strict` it is a 400.
 */
export class UnknownParameterError extends OperationOutcomeError {
  readonly parameter: string;

  constructor(parameter: string, message: string) {
    super(badRequest(message, parameter));
    this.parameter = parameter;
  }
}

/**
 * The definition of a (non-chained) search parameter of `resourceType`: unknown codes throw
 * UnknownParameterError; known ones that cannot be searched throw a 400 that says why.
 */
export function resolveSearchParameter(resourceType: string, code: string): ResolvedParam {
  const definition = getSearchParameters(resourceType)?.[code];
  if (!definition) {
    throw new UnknownParameterError(code, `Unknown search parameter: ${code} (for ${resourceType})`);
  }
  if (!COLUMN_PARAMS.has(code) && !isSearchable(resourceType, definition)) {
    const kind = definition.type === 'composite' || definition.type === 'special' ? `${definition.type} ` : '';
    throw new OperationOutcomeError(badRequest(`Search on the ${kind}parameter ${code} is not supported`, code));
  }
  return { definition, details: getSearchParameterDetails(resourceType, definition) };
}

function isSearchable(resourceType: string, definition: SearchParameter): boolean {
  return getIndexedParams(resourceType).some((p) => p.definition === definition);
}

/** The indexed form of a parameter (for composites: with their components). */
export function indexedParam(resourceType: string, code: string): IndexedParam | undefined {
  return getIndexedParams(resourceType).find((p) => p.code === code);
}
