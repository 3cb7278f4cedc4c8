import type { CodeSystem, ConceptMap, ValueSet } from '@medplum/fhirtypes';
import { assertTerminologyResource } from '../validate/validate-resource.ts';
import type { TerminologyResource, TerminologyResourceType } from '../resource-types.ts';
import { parseCanonical } from './canonical.ts';
import { CanonicalTable } from './canonical-table.ts';
import { CodeSystemIndex } from './code-system-index.ts';
import { ConceptMapIndex } from './concept-map-index.ts';
import { deepFreeze } from './deep-freeze.ts';

/**
 * In-memory CodeSystems, ValueSets and ConceptMaps by canonical URL and version, with the
 * indices the operations need built once per resource when it is added.
 *
 * Resources are validated, copied and frozen on `add`: a caller changing its object afterwards
 * cannot make an index stale, and what the getters return cannot be changed behind the store's
 * back. Every change bumps `version()`, which the caches built on top (translator, expansions)
 * compare to know when to start over.
 */
export class TerminologyStore {
  private readonly codeSystems = new CanonicalTable<CodeSystemIndex>();
  private readonly valueSets = new CanonicalTable<ValueSet>();
  private readonly conceptMaps = new CanonicalTable<ConceptMapIndex>();
  private changeCount = 0;
  private derivedValues = new Map<string, unknown>();
  private mapsBySystem?: { from: Map<string, ConceptMapIndex[]>; to: Map<string, ConceptMapIndex[]> };

  /**
   * Adds or replaces (same URL and version) a resource. Throws an OperationOutcomeError
   * (SIMPUL-TERM-006) naming every problem when the resource is not usable.
   */
  add(resource: TerminologyResource): void {
    const checked = assertTerminologyResource(resource);
    const stored = deepFreeze(structuredClone(checked));
    const url = stored.url as string;
    if (stored.resourceType === 'CodeSystem') this.codeSystems.set(url, stored.version, new CodeSystemIndex(stored));
    else if (stored.resourceType === 'ValueSet') this.valueSets.set(url, stored.version, stored);
    else this.conceptMaps.set(url, stored.version, new ConceptMapIndex(stored));
    this.changed();
  }

  addAll(resources: Iterable<TerminologyResource>): void {
    for (const resource of resources) this.add(resource);
  }

  /**
   * Removes the resources with this canonical URL (one version, or all when none is given;
   * `url|version` works too), whatever their type. Returns how many were removed.
   */
  remove(canonical: string, version?: string): number {
    const reference = parseCanonical(canonical, version);
    const removed =
      this.codeSystems.delete(reference.url, reference.version) +
      this.valueSets.delete(reference.url, reference.version) +
      this.conceptMaps.delete(reference.url, reference.version);
    if (removed > 0) this.changed();
    return removed;
  }

  /** Increases on every add and remove; equal numbers mean identical content. */
  version(): number {
    return this.changeCount;
  }

  getCodeSystem(canonical: string, version?: string): CodeSystem | undefined {
    return this.codeSystemIndex(canonical, version)?.resource;
  }

  getValueSet(canonical: string, version?: string): ValueSet | undefined {
    const reference = parseCanonical(canonical, version);
    return this.valueSets.get(reference.url, reference.version);
  }

  getConceptMap(canonical: string, version?: string): ConceptMap | undefined {
    return this.conceptMapIndex(canonical, version)?.resource;
  }

  codeSystemIndex(canonical: string, version?: string): CodeSystemIndex | undefined {
    const reference = parseCanonical(canonical, version);
    return this.codeSystems.get(reference.url, reference.version);
  }

  conceptMapIndex(canonical: string, version?: string): ConceptMapIndex | undefined {
    const reference = parseCanonical(canonical, version);
    return this.conceptMaps.get(reference.url, reference.version);
  }

  /** Latest version of every ConceptMap with a group whose source is `system`. */
  conceptMapsFrom(system: string): readonly ConceptMapIndex[] {
    return this.mapsIndexedBySystem().from.get(system) ?? [];
  }

  /** Latest version of every ConceptMap with a group whose target is `system` (for `reverse`). */
  conceptMapsTo(system: string): readonly ConceptMapIndex[] {
    return this.mapsIndexedBySystem().to.get(system) ?? [];
  }

  /** Every stored resource (all versions), optionally of one type. */
  list(resourceType?: TerminologyResourceType): TerminologyResource[] {
    const result: TerminologyResource[] = [];
    if (!resourceType || resourceType === 'CodeSystem') for (const index of this.codeSystems.values()) result.push(index.resource);
    if (!resourceType || resourceType === 'ValueSet') for (const valueSet of this.valueSets.values()) result.push(valueSet);
    if (!resourceType || resourceType === 'ConceptMap') for (const index of this.conceptMaps.values()) result.push(index.resource);
    return result;
  }

  get size(): number {
    return this.codeSystems.size + this.valueSets.size + this.conceptMaps.size;
  }

  /**
   * A value computed from the current content (e.g. a ValueSet expansion), kept until the next
   * change. Keys must come from stored content (a stored URL), never straight from a request,
   * so the number of entries stays bounded by what is loaded.
   */
  derived<T>(key: string, compute: () => T): T {
    if (this.derivedValues.has(key)) return this.derivedValues.get(key) as T;
    const value = compute();
    this.derivedValues.set(key, value);
    return value;
  }

  private changed(): void {
    this.changeCount++;
    this.derivedValues = new Map();
    this.mapsBySystem = undefined;
  }

  private mapsIndexedBySystem(): { from: Map<string, ConceptMapIndex[]>; to: Map<string, ConceptMapIndex[]> } {
    if (this.mapsBySystem) return this.mapsBySystem;
    const from = new Map<string, ConceptMapIndex[]>();
    const to = new Map<string, ConceptMapIndex[]>();
    for (const map of this.conceptMaps.latest()) {
      for (const group of map.groups) {
        appendOnce(from, group.source, map);
        if (group.target) appendOnce(to, group.target, map);
      }
    }
    this.mapsBySystem = { from, to };
    return this.mapsBySystem;
  }
}

function appendOnce(index: Map<string, ConceptMapIndex[]>, key: string, map: ConceptMapIndex): void {
  const list = index.get(key);
  if (!list) index.set(key, [map]);
  else if (!list.includes(map)) list.push(map);
}
