import type {
  ValueSet,
  ValueSetComposeInclude,
  ValueSetComposeIncludeConceptDesignation,
  ValueSetExpansionContains,
} from '@medplum/fhirtypes';
import { TerminologyError, terminologyError } from '../errors.ts';
import { formatCanonical } from '../store/canonical.ts';
import type { IndexedConcept } from '../store/code-system-index.ts';
import type { TerminologyStore } from '../store/terminology-store.ts';
import { applyFilter } from './include-filters.ts';

/** One code of an expanded ValueSet. */
export interface ExpansionEntry {
  readonly system: string;
  readonly version?: string;
  readonly code: string;
  readonly display?: string;
  readonly abstract?: boolean;
  readonly inactive?: boolean;
  readonly designation?: readonly ValueSetComposeIncludeConceptDesignation[];
}

/** Every code of a ValueSet, with lookups for membership tests. */
export interface FullExpansion {
  readonly entries: readonly ExpansionEntry[];
  /** `system \0 code` → entry. */
  readonly byKey: ReadonlyMap<string, ExpansionEntry>;
  /** code → entries (for validate-code without a system). */
  readonly byCode: ReadonlyMap<string, readonly ExpansionEntry[]>;
  readonly timestamp: string;
}

/** Above this an expansion is refused (too-costly) instead of eating the process's memory. */
export const MAX_EXPANSION_SIZE = 100_000;

export function expansionKey(system: string, code: string): string {
  return `${system}\u0000${code}`;
}

/**
 * The full expansion of a ValueSet: from its compose (include/exclude by concept list, whole
 * system, filters, other ValueSets) or, without compose, from a stored expansion. Expansions of
 * stored ValueSets are cached in the store until its content changes.
 */
export function fullExpansion(store: TerminologyStore, valueSet: ValueSet): FullExpansion {
  return expandWithStack(store, valueSet, []);
}

function expandWithStack(store: TerminologyStore, valueSet: ValueSet, stack: readonly string[]): FullExpansion {
  const canonical = formatCanonical(valueSet.url ?? '(inline ValueSet)', valueSet.version);
  if (stack.includes(canonical)) {
    throw terminologyError(TerminologyError.CANNOT_EXPAND, `ValueSet include cycle: ${[...stack, canonical].join(' → ')}`);
  }
  const compute = (): FullExpansion => computeExpansion(store, valueSet, [...stack, canonical]);
  const stored = valueSet.url ? store.getValueSet(valueSet.url, valueSet.version) : undefined;
  return stored === valueSet ? store.derived(`expansion:${canonical}`, compute) : compute();
}

function computeExpansion(store: TerminologyStore, valueSet: ValueSet, stack: readonly string[]): FullExpansion {
  const name = valueSet.url ?? 'inline ValueSet';
  const included = new Map<string, ExpansionEntry>();
  if (valueSet.compose) {
    for (const rule of valueSet.compose.include) {
      for (const entry of ruleEntries(store, rule, name, stack)) {
        const key = expansionKey(entry.system, entry.code);
        if (!included.has(key)) included.set(key, entry);
        if (included.size > MAX_EXPANSION_SIZE) throw tooLarge(name);
      }
    }
    for (const rule of valueSet.compose.exclude ?? []) {
      for (const entry of ruleEntries(store, rule, name, stack)) included.delete(expansionKey(entry.system, entry.code));
    }
    if (valueSet.compose.inactive === false) {
      for (const [key, entry] of included) if (entry.inactive) included.delete(key);
    }
  } else if (valueSet.expansion) {
    for (const entry of flattenContains(valueSet.expansion.contains ?? [])) {
      included.set(expansionKey(entry.system, entry.code), entry);
      if (included.size > MAX_EXPANSION_SIZE) throw tooLarge(name);
    }
  } else {
    throw terminologyError(TerminologyError.CANNOT_EXPAND, `ValueSet ${name} has neither compose nor expansion`);
  }
  const byCode = new Map<string, ExpansionEntry[]>();
  for (const entry of included.values()) {
    const list = byCode.get(entry.code);
    if (list) list.push(entry);
    else byCode.set(entry.code, [entry]);
  }
  return { entries: [...included.values()], byKey: included, byCode, timestamp: new Date().toISOString() };
}

function ruleEntries(store: TerminologyStore, rule: ValueSetComposeInclude, name: string, stack: readonly string[]): ExpansionEntry[] {
  const others = (rule.valueSet ?? []).map((reference) => {
    const nested = store.getValueSet(reference);
    if (!nested) throw terminologyError(TerminologyError.CANNOT_EXPAND, `ValueSet ${name} includes ValueSet ${reference}, which is not loaded`);
    return expandWithStack(store, nested, stack);
  });
  const inAllOthers = (entry: ExpansionEntry): boolean => others.every((other) => other.byKey.has(expansionKey(entry.system, entry.code)));
  if (rule.system) return systemEntries(store, rule, rule.system, name).filter(inAllOthers);
  const [first, ...rest] = others;
  return (first?.entries ?? []).filter((entry) => rest.every((other) => other.byKey.has(expansionKey(entry.system, entry.code))));
}

function systemEntries(store: TerminologyStore, rule: ValueSetComposeInclude, system: string, name: string): ExpansionEntry[] {
  const index = store.codeSystemIndex(system, rule.version);
  if (rule.concept && rule.concept.length > 0) {
    return rule.concept.map((listed) => {
      const known = index?.get(listed.code);
      if (!known && index?.isComplete) {
        throw terminologyError(
          TerminologyError.CANNOT_EXPAND,
          `ValueSet ${name} includes code ${JSON.stringify(listed.code)}, which code system ${system} does not define`,
        );
      }
      return {
        system,
        ...(index?.version ? { version: index.version } : undefined),
        code: known?.code ?? listed.code,
        ...(listed.display ?? known?.display ? { display: listed.display ?? known?.display } : undefined),
        ...(known?.abstract ? { abstract: true } : undefined),
        ...(known?.inactive ? { inactive: true } : undefined),
        ...(listed.designation ?? known?.concept.designation ? { designation: listed.designation ?? known?.concept.designation } : undefined),
      };
    });
  }
  const what = rule.filter?.length ? 'filtered codes' : 'all codes';
  if (!index) {
    throw terminologyError(TerminologyError.CANNOT_EXPAND, `ValueSet ${name} needs ${what} of code system ${system}, which is not loaded`);
  }
  if (!index.hasConcepts) {
    throw terminologyError(
      TerminologyError.CANNOT_EXPAND,
      `ValueSet ${name} needs ${what} of code system ${system}, which is loaded without its codes (content: ${index.content})`,
    );
  }
  let concepts: IndexedConcept[] = [...index.concepts()];
  for (const filter of rule.filter ?? []) concepts = applyFilter(index, concepts, filter, name);
  return concepts.map((concept) => ({
    system,
    ...(index.version ? { version: index.version } : undefined),
    code: concept.code,
    ...(concept.display !== undefined ? { display: concept.display } : undefined),
    ...(concept.abstract ? { abstract: true } : undefined),
    ...(concept.inactive ? { inactive: true } : undefined),
    ...(concept.concept.designation ? { designation: concept.concept.designation } : undefined),
  }));
}

function flattenContains(contains: readonly ValueSetExpansionContains[]): ExpansionEntry[] {
  const result: ExpansionEntry[] = [];
  const pending = [...contains].reverse();
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (item.system && item.code) {
      result.push({
        system: item.system,
        ...(item.version ? { version: item.version } : undefined),
        code: item.code,
        ...(item.display !== undefined ? { display: item.display } : undefined),
        ...(item.abstract ? { abstract: true } : undefined),
        ...(item.inactive ? { inactive: true } : undefined),
        ...(item.designation ? { designation: item.designation } : undefined),
      });
    }
    if (item.contains) pending.push(...[...item.contains].reverse());
  }
  return result;
}

function tooLarge(name: string): Error {
  return terminologyError(
    TerminologyError.EXPANSION_TOO_LARGE,
    `ValueSet ${name} has more than ${MAX_EXPANSION_SIZE} codes; expand it with a filter or validate codes one by one`,
  );
}
