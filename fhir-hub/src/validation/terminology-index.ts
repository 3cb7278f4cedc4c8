import type { CodeSystem, CodeSystemConcept, Resource, ValueSet, ValueSetCompose } from '@medplum/fhirtypes';

/**
 * The part of a CodeSystem that value-set expansion needs: its codes and their hierarchy.
 * Displays, definitions and designations are dropped at load (they are most of the bytes).
 */
export interface IndexedCodeSystem {
  readonly url: string;
  /** Only `complete` systems list every code, so only they can be enumerated for a whole-system include. */
  readonly content: CodeSystem['content'];
  readonly concepts: readonly IndexedConcept[];
}

export interface IndexedConcept {
  readonly code: string;
  /** Nested concepts (the usual way R4 code systems express is-a). */
  readonly nested?: readonly IndexedConcept[];
  /** Codes named by `parent` properties (some v3 systems give a concept several parents this way). */
  readonly parentCodes?: readonly string[];
  /** Codes named by `child` properties. */
  readonly childCodes?: readonly string[];
}

/** The ValueSets and CodeSystems that required bindings can be checked against, by canonical url. */
export interface TerminologyIndex {
  codeSystem(url: string): IndexedCodeSystem | undefined;
  valueSetCompose(url: string): ValueSetCompose | undefined;
  hasValueSet(url: string): boolean;
}

/**
 * Indexes the ValueSets and CodeSystems found in the given resources (bundles are unpacked).
 * When a url appears twice the first one wins, so callers list the most authoritative source first.
 */
export function buildTerminologyIndex(sources: readonly unknown[]): TerminologyIndex {
  const codeSystems = new Map<string, IndexedCodeSystem>();
  const valueSets = new Map<string, ValueSetCompose | undefined>();

  for (const resource of unpackResources(sources)) {
    if (resource.resourceType === 'CodeSystem' && resource.url && !codeSystems.has(resource.url)) {
      codeSystems.set(resource.url, indexCodeSystem(resource as CodeSystem & { url: string }));
    } else if (resource.resourceType === 'ValueSet' && resource.url && !valueSets.has(resource.url)) {
      valueSets.set(resource.url, (resource as ValueSet).compose);
    }
  }

  return {
    codeSystem: (url) => codeSystems.get(url),
    valueSetCompose: (url) => valueSets.get(url),
    hasValueSet: (url) => valueSets.has(url),
  };
}

function* unpackResources(sources: readonly unknown[]): Generator<Resource & { url?: string }> {
  for (const source of sources) {
    const resource = source as (Resource & { url?: string; entry?: { resource?: Resource }[] }) | undefined;
    if (resource?.resourceType === 'Bundle') {
      for (const entry of resource.entry ?? []) {
        if (entry.resource) {
          yield entry.resource as Resource & { url?: string };
        }
      }
    } else if (resource?.resourceType) {
      yield resource;
    }
  }
}

function indexCodeSystem(codeSystem: CodeSystem & { url: string }): IndexedCodeSystem {
  return {
    url: codeSystem.url,
    content: codeSystem.content,
    concepts: indexConcepts(codeSystem.concept),
  };
}

function indexConcepts(concepts: CodeSystemConcept[] | undefined): IndexedConcept[] {
  const result: IndexedConcept[] = [];
  for (const concept of concepts ?? []) {
    if (!concept.code) {
      continue;
    }
    const parentCodes = propertyCodes(concept, 'parent');
    const childCodes = propertyCodes(concept, 'child');
    result.push({
      code: concept.code,
      ...(concept.concept?.length ? { nested: indexConcepts(concept.concept) } : undefined),
      ...(parentCodes.length ? { parentCodes } : undefined),
      ...(childCodes.length ? { childCodes } : undefined),
    });
  }
  return result;
}

function propertyCodes(concept: CodeSystemConcept, property: 'parent' | 'child'): string[] {
  const codes: string[] = [];
  for (const entry of concept.property ?? []) {
    if (entry.code === property && typeof entry.valueCode === 'string') {
      codes.push(entry.valueCode);
    }
  }
  return codes;
}
