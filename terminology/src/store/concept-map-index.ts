import type { ConceptMap, ConceptMapGroup, ConceptMapGroupElement, ConceptMapGroupElementTarget } from '@medplum/fhirtypes';

/** A target reached backwards: which element (source code) maps to it. */
export interface ReverseEntry {
  readonly element: ConceptMapGroupElement;
  readonly target: ConceptMapGroupElementTarget;
}

/** One group of a ConceptMap, indexed both ways. */
export interface IndexedGroup {
  readonly group: ConceptMapGroup;
  readonly source: string;
  readonly target?: string;
  /** Source code → its element (validation guarantees one element per code). */
  readonly elements: ReadonlyMap<string, ConceptMapGroupElement>;
  /** Target code → the elements mapping to it. */
  readonly reverse: ReadonlyMap<string, readonly ReverseEntry[]>;
}

/** Forward and reverse lookups over one ConceptMap, built once when it is stored. */
export class ConceptMapIndex {
  readonly resource: ConceptMap;
  readonly url: string;
  readonly version?: string;
  readonly groups: readonly IndexedGroup[];
  /** ValueSet the source concepts come from (sourceUri / sourceCanonical), if stated. */
  readonly sourceValueSet?: string;
  readonly targetValueSet?: string;

  constructor(resource: ConceptMap) {
    this.resource = resource;
    this.url = resource.url as string;
    this.version = resource.version;
    this.sourceValueSet = resource.sourceUri ?? resource.sourceCanonical;
    this.targetValueSet = resource.targetUri ?? resource.targetCanonical;
    this.groups = (resource.group ?? []).map(indexGroup);
  }

  groupsFrom(system: string): IndexedGroup[] {
    return this.groups.filter((group) => group.source === system);
  }

  groupsTo(system: string): IndexedGroup[] {
    return this.groups.filter((group) => group.target === system);
  }
}

function indexGroup(group: ConceptMapGroup): IndexedGroup {
  const elements = new Map<string, ConceptMapGroupElement>();
  const reverse = new Map<string, ReverseEntry[]>();
  for (const element of group.element ?? []) {
    if (element.code === undefined) continue;
    elements.set(element.code, element);
    for (const target of element.target ?? []) {
      if (target.code === undefined) continue;
      let entries = reverse.get(target.code);
      if (!entries) {
        entries = [];
        reverse.set(target.code, entries);
      }
      entries.push({ element, target });
    }
  }
  return { group, source: group.source as string, target: group.target, elements, reverse };
}
