import type { CodeSystem, CodeSystemConcept, CodeSystemConceptProperty } from '@medplum/fhirtypes';

/** One concept of a CodeSystem with its place in the hierarchy. */
export interface IndexedConcept {
  readonly code: string;
  readonly display?: string;
  readonly concept: CodeSystemConcept;
  /** Direct parents: the enclosing concept when nested, plus `parent` properties. */
  readonly parents: readonly string[];
  /** Direct children: nested concepts, plus `child` properties and concepts naming this one as parent. */
  readonly children: readonly string[];
  /** `inactive` = true or `status` retired/inactive. */
  readonly inactive: boolean;
  /** `notSelectable` = true: a grouper, not to be used in data. */
  readonly abstract: boolean;
}

interface MutableConcept {
  code: string;
  display?: string;
  concept: CodeSystemConcept;
  parents: string[];
  children: string[];
  inactive: boolean;
  abstract: boolean;
}

/** Lookup by code and hierarchy queries over one CodeSystem, built once when it is stored. */
export class CodeSystemIndex {
  readonly resource: CodeSystem;
  readonly url: string;
  readonly version?: string;
  readonly content: CodeSystem['content'];
  readonly caseSensitive: boolean;
  private readonly byCode = new Map<string, IndexedConcept>();
  private readonly byFoldedCode?: Map<string, IndexedConcept>;
  private readonly descendantCache = new Map<string, ReadonlySet<string>>();

  constructor(resource: CodeSystem) {
    this.resource = resource;
    this.url = resource.url as string;
    this.version = resource.version;
    this.content = resource.content;
    // FHIR: "if caseSensitive is missing, it is not known"; treat codes as case-sensitive then.
    this.caseSensitive = resource.caseSensitive !== false;

    const ordered: MutableConcept[] = [];
    const byCode = new Map<string, MutableConcept>();
    // Pre-order walk keeping document order; the parent code travels with each child list.
    const pending: Array<{ concepts: readonly CodeSystemConcept[]; parent?: string; next: number }> = [
      { concepts: resource.concept ?? [], next: 0 },
    ];
    while (pending.length > 0) {
      const frame = pending[pending.length - 1];
      if (frame.next >= frame.concepts.length) {
        pending.pop();
        continue;
      }
      const concept = frame.concepts[frame.next++];
      const entry: MutableConcept = {
        code: concept.code,
        display: concept.display,
        concept,
        parents: frame.parent === undefined ? [] : [frame.parent],
        children: [],
        inactive: isInactive(concept.property),
        abstract: concept.property?.some((p) => p.code === 'notSelectable' && p.valueBoolean === true) ?? false,
      };
      ordered.push(entry);
      byCode.set(entry.code, entry);
      if (concept.concept?.length) pending.push({ concepts: concept.concept, parent: concept.code, next: 0 });
    }
    for (const entry of ordered) {
      for (const property of entry.concept.property ?? []) {
        if (property.code === 'parent' && property.valueCode) addUnique(entry.parents, property.valueCode);
        if (property.code === 'child' && property.valueCode && byCode.has(property.valueCode)) {
          addUnique(entry.children, property.valueCode);
          addUnique(byCode.get(property.valueCode)!.parents, entry.code);
        }
      }
    }
    for (const entry of ordered) {
      for (const parent of entry.parents) {
        const parentEntry = byCode.get(parent);
        if (parentEntry) addUnique(parentEntry.children, entry.code);
      }
    }
    for (const entry of ordered) this.byCode.set(entry.code, entry);
    if (!this.caseSensitive) {
      this.byFoldedCode = new Map();
      for (const entry of ordered) if (!this.byFoldedCode.has(fold(entry.code))) this.byFoldedCode.set(fold(entry.code), entry);
    }
  }

  /** False for `content: not-present`: the system is known but its codes are not loaded. */
  get hasConcepts(): boolean {
    return this.content !== 'not-present' && this.byCode.size > 0;
  }

  /** True when a code missing from the index is definitely not a code of the system. */
  get isComplete(): boolean {
    return this.content === 'complete';
  }

  get size(): number {
    return this.byCode.size;
  }

  get(code: string): IndexedConcept | undefined {
    return this.byCode.get(code) ?? this.byFoldedCode?.get(fold(code));
  }

  /** All concepts in document order. */
  concepts(): IterableIterator<IndexedConcept> {
    return this.byCode.values();
  }

  /** Every concept below `code` (not including it), guarded against cycles in parent links. */
  descendants(code: string): ReadonlySet<string> {
    const start = this.get(code);
    if (!start) return new Set();
    const cached = this.descendantCache.get(start.code);
    if (cached) return cached;
    const result = new Set<string>();
    const queue = [...start.children];
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i];
      if (next === start.code || result.has(next)) continue;
      result.add(next);
      const entry = this.byCode.get(next);
      if (entry) queue.push(...entry.children);
    }
    this.descendantCache.set(start.code, result);
    return result;
  }

  /** Every concept above `code` (not including it). */
  ancestors(code: string): readonly string[] {
    const start = this.get(code);
    if (!start) return [];
    const result: string[] = [];
    const seen = new Set<string>([start.code]);
    const queue = [...start.parents];
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i];
      if (seen.has(next)) continue;
      seen.add(next);
      result.push(next);
      const entry = this.byCode.get(next);
      if (entry) queue.push(...entry.parents);
    }
    return result;
  }

  /** True when `code` is `ancestor` or below it. */
  subsumedBy(code: string, ancestor: string): boolean {
    const entry = this.get(code);
    const top = this.get(ancestor);
    if (!entry || !top) return false;
    return entry.code === top.code || this.descendants(top.code).has(entry.code);
  }
}

function isInactive(properties: readonly CodeSystemConceptProperty[] | undefined): boolean {
  return (
    properties?.some(
      (p) =>
        (p.code === 'inactive' && p.valueBoolean === true) ||
        (p.code === 'status' && (p.valueCode === 'retired' || p.valueCode === 'inactive')),
    ) ?? false
  );
}

function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function fold(code: string): string {
  return code.toLowerCase();
}
