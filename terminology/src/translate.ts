import type { Coding } from '@medplum/fhirtypes';
import { translate as translateOperation } from './operations/translate.ts';
import type { TranslateMatch } from './operations/translate.ts';
import { isNegativeEquivalence } from './resource-types.ts';
import type { ConceptMapEquivalence } from './resource-types.ts';
import type { TerminologyStore } from './store/terminology-store.ts';

/** What a mapper gets back: the target coding, or the original coding to keep (and mark). */
export type TranslationOutcome =
  | { mapped: true; coding: Coding; equivalence: ConceptMapEquivalence; source: string }
  | { mapped: false; coding: Coding };

export interface Translator {
  /** `system|code` in `targetSystem`; cached per (system, code, targetSystem) until the store changes. */
  translate(system: string, code: string, targetSystem: string): TranslationOutcome;
  /** Same, from a Coding; an unmapped result returns a copy of that coding (display included). */
  translateCoding(coding: Coding, targetSystem: string): TranslationOutcome;
  /** Entries currently cached (for metrics and tests). */
  readonly cacheSize: number;
}

export interface TranslatorOptions {
  /** Oldest entries are dropped past this, so hostile input cannot grow the cache without end. Default 50 000. */
  maxCacheEntries?: number;
}

/** When several maps or targets apply, the closest meaning wins; ties keep ConceptMap order. */
const PREFERENCE: readonly ConceptMapEquivalence[] = [
  'equal',
  'equivalent',
  'wider',
  'subsumes',
  'relatedto',
  'inexact',
  'narrower',
  'specializes',
];

type CachedOutcome = Readonly<TranslationOutcome>;

/**
 * The one API mappers call per coded field. Looks through every ConceptMap with a group from
 * `system` to `targetSystem` (see operations/translate.ts for the rules), picks the best match,
 * and falls back to identity when `system` is `targetSystem` and the code is defined there.
 * Results are cached; the cache is emptied the first time it is used after the store changed.
 */
export function createTranslator(store: TerminologyStore, options: TranslatorOptions = {}): Translator {
  const maxEntries = Math.max(1, options.maxCacheEntries ?? 50_000);
  let cache = new Map<string, CachedOutcome>();
  let seenVersion = store.version();

  const lookup = (system: string, code: string, targetSystem: string): CachedOutcome => {
    if (store.version() !== seenVersion) {
      cache = new Map();
      seenVersion = store.version();
    }
    const key = `${system}\u0000${code}\u0000${targetSystem}`;
    let outcome = cache.get(key);
    if (outcome === undefined) {
      outcome = resolve(store, system, code, targetSystem);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(key, outcome);
    }
    return outcome;
  };

  return {
    translate(system, code, targetSystem) {
      const outcome = lookup(system, code, targetSystem);
      return { ...outcome, coding: { ...outcome.coding } };
    },
    translateCoding(coding, targetSystem) {
      const outcome = lookup(coding.system ?? '', coding.code ?? '', targetSystem);
      return outcome.mapped ? { ...outcome, coding: { ...outcome.coding } } : { mapped: false, coding: { ...coding } };
    },
    get cacheSize() {
      return cache.size;
    },
  };
}

function resolve(store: TerminologyStore, system: string, code: string, targetSystem: string): CachedOutcome {
  const { matches } = translateOperation(store, { system, code, targetSystem });
  const best = pickBest(matches);
  if (best?.concept) {
    const display = best.concept.display ?? store.codeSystemIndex(targetSystem)?.get(best.concept.code as string)?.display;
    const coding = Object.freeze({ system: targetSystem, code: best.concept.code as string, ...(display ? { display } : undefined) });
    return Object.freeze({ mapped: true, coding, equivalence: best.equivalence, source: best.source });
  }
  if (system === targetSystem) {
    const concept = store.codeSystemIndex(system)?.get(code);
    if (concept) {
      const coding = Object.freeze({ system, code: concept.code, ...(concept.display ? { display: concept.display } : undefined) });
      return Object.freeze({ mapped: true, coding, equivalence: 'equal', source: system });
    }
  }
  return Object.freeze({ mapped: false, coding: Object.freeze({ system, code }) });
}

function pickBest(matches: readonly TranslateMatch[]): TranslateMatch | undefined {
  let best: TranslateMatch | undefined;
  let bestRank = Number.MAX_SAFE_INTEGER;
  for (const match of matches) {
    if (isNegativeEquivalence(match.equivalence) || !match.concept?.code) continue;
    const rank = PREFERENCE.indexOf(match.equivalence);
    if (rank < bestRank) {
      best = match;
      bestRank = rank;
    }
  }
  return best;
}
