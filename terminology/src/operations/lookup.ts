import type { CodeSystemConceptDesignation, CodeSystemConceptProperty } from '@medplum/fhirtypes';
import type { TerminologyStore } from '../store/terminology-store.ts';
import { TerminologyError, terminologyError } from '../errors.ts';
import { optionalText, requireText } from './operation-inputs.ts';

export interface LookupParams {
  system: string;
  code: string;
  version?: string;
  /** Only these properties (FHIR `property` input); all when absent. `parent`/`child` come from the hierarchy. */
  properties?: readonly string[];
}

export interface LookupFound {
  found: true;
  system: string;
  /** CodeSystem.name (or title, or the URL): FHIR's required `name` output. */
  name: string;
  version?: string;
  code: string;
  display?: string;
  definition?: string;
  abstract: boolean;
  inactive: boolean;
  designations: readonly CodeSystemConceptDesignation[];
  properties: readonly CodeSystemConceptProperty[];
}

export interface LookupNotFound {
  found: false;
  /** `unknown-system`: not loaded; `no-content`: loaded with `content: not-present`; `unknown-code`. */
  reason: 'unknown-system' | 'no-content' | 'unknown-code';
  system: string;
  code: string;
  message: string;
}

export type LookupResult = LookupFound | LookupNotFound;

/**
 * CodeSystem/$lookup: the display, designations and properties of a code. A code the store
 * cannot find is a result (`found: false` with the reason), not an exception; the hub turns
 * it into a 404 with lookupToParameters.
 */
export function lookup(store: TerminologyStore, params: LookupParams): LookupResult {
  const system = requireText(params.system, 'system');
  const code = requireText(params.code, 'code');
  const version = optionalText(params.version, 'version');
  const index = store.codeSystemIndex(system, version);
  if (!index) {
    const named = version ? `${system} version ${version}` : system;
    return { found: false, reason: 'unknown-system', system, code, message: `Unknown code system ${named}` };
  }
  if (index.content === 'not-present') {
    return {
      found: false,
      reason: 'no-content',
      system,
      code,
      message: `Code system ${system} is loaded without its codes (content: not-present); load the full list to look codes up`,
    };
  }
  const entry = index.get(code);
  if (!entry) {
    const partial = index.isComplete ? '' : ` (the loaded ${index.content} does not hold every code of the system)`;
    return { found: false, reason: 'unknown-code', system, code, message: `Unknown code ${JSON.stringify(code)} in code system ${system}${partial}` };
  }
  const wanted = propertyFilter(params.properties);
  const properties: CodeSystemConceptProperty[] = [
    ...(entry.concept.property ?? []).filter((property) => property.code !== 'parent' && property.code !== 'child'),
    ...entry.parents.map((parent) => ({ code: 'parent', valueCode: parent })),
    ...entry.children.map((child) => ({ code: 'child', valueCode: child })),
  ].filter((property) => !wanted || wanted.has(property.code));
  const resource = index.resource;
  return {
    found: true,
    system: index.url,
    name: resource.name ?? resource.title ?? index.url,
    ...(index.version ? { version: index.version } : undefined),
    code: entry.code,
    ...(entry.display !== undefined ? { display: entry.display } : undefined),
    ...(entry.concept.definition !== undefined ? { definition: entry.concept.definition } : undefined),
    abstract: entry.abstract,
    inactive: entry.inactive,
    designations: entry.concept.designation ?? [],
    properties,
  };
}

function propertyFilter(properties: unknown): ReadonlySet<string> | undefined {
  if (properties === undefined || properties === null) return undefined;
  if (!Array.isArray(properties) || !properties.every((property) => typeof property === 'string')) {
    throw terminologyError(TerminologyError.INVALID_PARAMETER, 'parameter property must be a list of property codes', 'property');
  }
  return properties.length > 0 ? new Set(properties) : undefined;
}
