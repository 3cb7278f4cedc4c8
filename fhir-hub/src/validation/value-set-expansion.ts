import type { ValueSetComposeInclude, ValueSetComposeIncludeFilter } from '@medplum/fhirtypes';
import type { CodeSystemHierarchy } from './code-system-hierarchy.ts';
import { ancestorsOf, buildCodeSystemHierarchy, descendantsOf } from './code-system-hierarchy.ts';
import type { TerminologyIndex } from './terminology-index.ts';

/**
 * What a ValueSet contains, as far as the shipped definitions can tell.
 *
 * Parts that cannot be enumerated are never guessed at: a system whose codes are not shipped
 * (UCUM, BCP-13 mime types, ISO 4217 currencies, ...) becomes an "open" system where any code is
 * accepted, and a value set that cannot be resolved at all is `indeterminate` (nothing is checked).
 * Checking therefore never rejects data that a full terminology server would accept; it can only
 * accept some codes a full server would reject.
 */
export interface ValueSetExpansion {
  readonly url: string;
  readonly codesBySystem: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every enumerated code regardless of system, for `code` elements (which carry no system). */
  readonly allCodes: ReadonlySet<string>;
  /** Systems included but not enumerable from what ships: any code of theirs is accepted. */
  readonly openSystems: ReadonlySet<string>;
  /** True when the value set (or a part of it without a system) cannot be expanded at all. */
  readonly indeterminate: boolean;
  /** Why parts are open or indeterminate; empty for a fully expanded value set. */
  readonly gaps: readonly string[];
}

/** Expands ValueSets from a TerminologyIndex on first use and caches each expansion by url. */
export class ValueSetExpander {
  readonly #terminology: TerminologyIndex;
  readonly #expansions = new Map<string, ValueSetExpansion>();
  readonly #hierarchies = new Map<string, CodeSystemHierarchy>();

  constructor(terminology: TerminologyIndex) {
    this.#terminology = terminology;
  }

  /** Expands a ValueSet canonical; a `|version` suffix is ignored (only one version ships). */
  expand(canonical: string): ValueSetExpansion {
    return this.#expandCached(stripVersion(canonical), new Set());
  }

  #expandCached(url: string, inProgress: Set<string>): ValueSetExpansion {
    const cached = this.#expansions.get(url);
    if (cached) {
      return cached;
    }
    if (inProgress.has(url)) {
      // A cycle makes the value sets inside it indeterminate (lenient); none occurs in the shipped data.
      return finish(url, indeterminate(`value set ${url} includes itself`));
    }
    inProgress.add(url);
    try {
      const expansion = finish(url, this.#expandValueSet(url, inProgress));
      this.#expansions.set(url, expansion);
      return expansion;
    } finally {
      inProgress.delete(url);
    }
  }

  #expandValueSet(url: string, inProgress: Set<string>): CodeSets {
    const compose = this.#terminology.valueSetCompose(url);
    if (!compose) {
      const reason = this.#terminology.hasValueSet(url) ? 'has no compose' : 'is not shipped';
      return indeterminate(`value set ${url} ${reason}`);
    }
    let result = emptyCodeSets();
    for (const include of compose.include ?? []) {
      result = union(result, this.#expandInclude(include, inProgress));
    }
    for (const exclude of compose.exclude ?? []) {
      result = subtract(result, this.#expandInclude(exclude, inProgress));
    }
    return result;
  }

  #expandInclude(include: ValueSetComposeInclude, inProgress: Set<string>): CodeSets {
    const parts: CodeSets[] = [];
    if (include.system) {
      parts.push(this.#expandSystemPart(include.system, include));
    }
    for (const valueSetUrl of include.valueSet ?? []) {
      parts.push(fromExpansion(this.#expandCached(stripVersion(valueSetUrl), inProgress)));
    }
    if (parts.length === 0) {
      return emptyCodeSets();
    }
    // Within one include, the system part and every imported value set are intersected.
    return parts.reduce(intersect);
  }

  #expandSystemPart(system: string, include: ValueSetComposeInclude): CodeSets {
    if (include.concept?.length) {
      // An explicit concept list is authoritative even when the code system itself does not ship.
      return definite(system, include.concept.map((concept) => concept.code).filter(isString));
    }
    const codeSystem = this.#terminology.codeSystem(system);
    if (!codeSystem) {
      return open(system, `code system ${system} is not shipped`);
    }
    if (codeSystem.content !== 'complete') {
      return open(system, `code system ${system} ships with content "${codeSystem.content}"`);
    }
    const hierarchy = this.#hierarchy(system, codeSystem);
    let codes: ReadonlySet<string> = hierarchy.codes;
    for (const filter of include.filter ?? []) {
      const filtered = applyHierarchyFilter(hierarchy, filter);
      if (!filtered) {
        return open(system, `filter "${filter.property} ${filter.op} ${filter.value}" on ${system} is not supported`);
      }
      codes = intersectSets(codes, filtered);
    }
    return definite(system, codes);
  }

  #hierarchy(system: string, codeSystem: Parameters<typeof buildCodeSystemHierarchy>[0]): CodeSystemHierarchy {
    let hierarchy = this.#hierarchies.get(system);
    if (!hierarchy) {
      hierarchy = buildCodeSystemHierarchy(codeSystem);
      this.#hierarchies.set(system, hierarchy);
    }
    return hierarchy;
  }
}

/** Supports the filters a code system's own hierarchy answers; anything else returns undefined. */
function applyHierarchyFilter(
  hierarchy: CodeSystemHierarchy,
  filter: ValueSetComposeIncludeFilter
): ReadonlySet<string> | undefined {
  if (filter.property !== 'concept' || typeof filter.value !== 'string') {
    return undefined;
  }
  const code = filter.value;
  const known = hierarchy.codes.has(code);
  switch (filter.op) {
    case 'is-a': {
      const codes = descendantsOf(hierarchy, code);
      if (known) {
        codes.add(code);
      }
      return codes;
    }
    case 'descendent-of':
      return descendantsOf(hierarchy, code);
    case 'generalizes': {
      const codes = ancestorsOf(hierarchy, code);
      if (known) {
        codes.add(code);
      }
      return codes;
    }
    case 'is-not-a': {
      const excluded = descendantsOf(hierarchy, code);
      excluded.add(code);
      return new Set([...hierarchy.codes].filter((candidate) => !excluded.has(candidate)));
    }
    default:
      return undefined;
  }
}

/** Working form of an expansion: `undefined` in `codes` never occurs; open systems accept anything. */
interface CodeSets {
  codes: Map<string, Set<string>>;
  open: Set<string>;
  indeterminate: boolean;
  gaps: string[];
}

function emptyCodeSets(): CodeSets {
  return { codes: new Map(), open: new Set(), indeterminate: false, gaps: [] };
}

function definite(system: string, codes: Iterable<string>): CodeSets {
  return { ...emptyCodeSets(), codes: new Map([[system, new Set(codes)]]) };
}

function open(system: string, reason: string): CodeSets {
  return { ...emptyCodeSets(), open: new Set([system]), gaps: [reason] };
}

function indeterminate(reason: string): CodeSets {
  return { ...emptyCodeSets(), indeterminate: true, gaps: [reason] };
}

function fromExpansion(expansion: ValueSetExpansion): CodeSets {
  return {
    codes: new Map([...expansion.codesBySystem].map(([system, codes]) => [system, new Set(codes)])),
    open: new Set(expansion.openSystems),
    indeterminate: expansion.indeterminate,
    gaps: [...expansion.gaps],
  };
}

function union(a: CodeSets, b: CodeSets): CodeSets {
  const codes = new Map(a.codes);
  for (const [system, bCodes] of b.codes) {
    const aCodes = codes.get(system);
    codes.set(system, aCodes ? new Set([...aCodes, ...bCodes]) : bCodes);
  }
  return {
    codes,
    open: new Set([...a.open, ...b.open]),
    indeterminate: a.indeterminate || b.indeterminate,
    gaps: [...a.gaps, ...b.gaps],
  };
}

/**
 * Intersection that errs towards acceptance: an operand that cannot be expanded is treated as
 * "everything", so the result is always a superset of the true intersection.
 */
function intersect(a: CodeSets, b: CodeSets): CodeSets {
  if (a.indeterminate) {
    return { ...b, gaps: [...a.gaps, ...b.gaps] };
  }
  if (b.indeterminate) {
    return { ...a, gaps: [...a.gaps, ...b.gaps] };
  }
  const result: CodeSets = { ...emptyCodeSets(), gaps: [...a.gaps, ...b.gaps] };
  const systems = new Set([...a.codes.keys(), ...a.open, ...b.codes.keys(), ...b.open]);
  for (const system of systems) {
    const aAll = a.open.has(system);
    const bAll = b.open.has(system);
    if (aAll && bAll) {
      result.open.add(system);
      continue;
    }
    const aCodes = aAll ? undefined : (a.codes.get(system) ?? new Set<string>());
    const bCodes = bAll ? undefined : (b.codes.get(system) ?? new Set<string>());
    const codes = aCodes && bCodes ? intersectSets(aCodes, bCodes) : (aCodes ?? bCodes ?? new Set<string>());
    if (codes.size > 0) {
      result.codes.set(system, new Set(codes));
    }
  }
  return result;
}

/** Removes excluded codes; an exclusion that cannot be enumerated removes nothing (errs towards acceptance). */
function subtract(a: CodeSets, excluded: CodeSets): CodeSets {
  const codes = new Map(a.codes);
  for (const [system, excludedCodes] of excluded.codes) {
    const current = codes.get(system);
    if (current) {
      codes.set(system, new Set([...current].filter((code) => !excludedCodes.has(code))));
    }
  }
  return { ...a, codes, gaps: [...a.gaps, ...excluded.gaps] };
}

function intersectSets(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  return new Set([...small].filter((code) => large.has(code)));
}

function finish(url: string, sets: CodeSets): ValueSetExpansion {
  const allCodes = new Set<string>();
  for (const codes of sets.codes.values()) {
    for (const code of codes) {
      allCodes.add(code);
    }
  }
  return {
    url,
    codesBySystem: sets.codes,
    allCodes,
    openSystems: sets.open,
    indeterminate: sets.indeterminate,
    gaps: [...new Set(sets.gaps)],
  };
}

function stripVersion(canonical: string): string {
  const bar = canonical.indexOf('|');
  return bar === -1 ? canonical : canonical.slice(0, bar);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
