import type { IndexedCodeSystem, IndexedConcept } from './terminology-index.ts';

/** Every code of a code system and its is-a links, built once per system for hierarchy filters. */
export interface CodeSystemHierarchy {
  readonly codes: ReadonlySet<string>;
  readonly childrenOf: ReadonlyMap<string, readonly string[]>;
  readonly parentsOf: ReadonlyMap<string, readonly string[]>;
}

export function buildCodeSystemHierarchy(codeSystem: IndexedCodeSystem): CodeSystemHierarchy {
  const codes = new Set<string>();
  const childrenOf = new Map<string, string[]>();
  const parentsOf = new Map<string, string[]>();
  const link = (parent: string, child: string): void => {
    appendUnique(childrenOf, parent, child);
    appendUnique(parentsOf, child, parent);
  };

  // Iterative (a pathologically deep concept tree cannot exhaust the stack) and pre-order, so codes
  // keep the code system's own order, which error messages list.
  const pending: { concept: IndexedConcept; parent?: string }[] = codeSystem.concepts
    .map((concept) => ({ concept }))
    .reverse();
  while (pending.length > 0) {
    const { concept, parent } = pending.pop() as { concept: IndexedConcept; parent?: string };
    codes.add(concept.code);
    if (parent !== undefined) {
      link(parent, concept.code);
    }
    for (const parentCode of concept.parentCodes ?? []) {
      link(parentCode, concept.code);
    }
    for (const childCode of concept.childCodes ?? []) {
      link(concept.code, childCode);
    }
    const nested = concept.nested ?? [];
    for (let i = nested.length - 1; i >= 0; i--) {
      pending.push({ concept: nested[i], parent: concept.code });
    }
  }
  return { codes, childrenOf, parentsOf };
}

/** Codes strictly below `code` (transitively); cycles in the source data are tolerated. */
export function descendantsOf(hierarchy: CodeSystemHierarchy, code: string): Set<string> {
  return reachableFrom(hierarchy.childrenOf, code);
}

/** Codes strictly above `code` (transitively). */
export function ancestorsOf(hierarchy: CodeSystemHierarchy, code: string): Set<string> {
  return reachableFrom(hierarchy.parentsOf, code);
}

/** Depth-first and pre-order, so codes come out in the code system's own order where it is a tree. */
function reachableFrom(edges: ReadonlyMap<string, readonly string[]>, start: string): Set<string> {
  const found = new Set<string>();
  const pending = [...(edges.get(start) ?? [])].reverse();
  while (pending.length > 0) {
    const code = pending.pop() as string;
    if (found.has(code) || code === start) {
      continue;
    }
    found.add(code);
    const children = edges.get(code) ?? [];
    for (let i = children.length - 1; i >= 0; i--) {
      pending.push(children[i]);
    }
  }
  return found;
}

function appendUnique(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (!list) {
    map.set(key, [value]);
  } else if (!list.includes(value)) {
    list.push(value);
  }
}
