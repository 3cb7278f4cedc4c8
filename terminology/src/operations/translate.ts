import type { Coding } from '@medplum/fhirtypes';
import { TerminologyError, terminologyError } from '../errors.ts';
import { isNegativeEquivalence } from '../resource-types.ts';
import type { ConceptMapEquivalence } from '../resource-types.ts';
import { formatCanonical } from '../store/canonical.ts';
import type { ConceptMapIndex, IndexedGroup } from '../store/concept-map-index.ts';
import type { TerminologyStore } from '../store/terminology-store.ts';
import { optionalText, requireText } from './operation-inputs.ts';

export interface TranslateParams {
  /** Only this ConceptMap (`url|version` works); otherwise every map with a matching group. */
  url?: string;
  conceptMapVersion?: string;
  system: string;
  code: string;
  /** Version of `system`: groups that name a different sourceVersion are skipped. */
  version?: string;
  /** Only maps whose source ValueSet (sourceUri/sourceCanonical) is this. */
  source?: string;
  /** Only maps whose target ValueSet (targetUri/targetCanonical) is this. */
  target?: string;
  /** Only groups mapping to this code system. */
  targetSystem?: string;
  /** Use the maps backwards: `system`/`code` are a target, the matches are the sources. */
  reverse?: boolean;
}

export interface TranslateMatch {
  equivalence: ConceptMapEquivalence;
  /** Absent for an unmatched/disjoint target that names no code. */
  concept?: Coding;
  /** The ConceptMap the match comes from (`url|version`). */
  source: string;
  comment?: string;
}

export interface TranslateResult {
  /** True when at least one match is not unmatched/disjoint (FHIR $translate `result`). */
  result: boolean;
  message?: string;
  matches: TranslateMatch[];
}

/** A reverse lookup reads equivalences the other way round ("wider" becomes "narrower"). */
const REVERSED: Partial<Record<ConceptMapEquivalence, ConceptMapEquivalence>> = {
  wider: 'narrower',
  narrower: 'wider',
  subsumes: 'specializes',
  specializes: 'subsumes',
};

/** Maps chained through `unmapped.mode = other-map` deeper than this are a loop or a mistake. */
const MAX_OTHER_MAP_DEPTH = 8;

/**
 * ConceptMap/$translate. A code no map knows is `result: false` with a message; an unknown `url`
 * is SIMPUL-TERM-003 (404). In forward direction a group's `unmapped` rule applies when the group
 * has no element for the code: `provided` keeps the code (equivalence equal), `fixed` gives the
 * rule's code (equivalence wider), `other-map` asks the named map.
 */
export function translate(store: TerminologyStore, params: TranslateParams): TranslateResult {
  const system = requireText(params.system, 'system');
  const code = requireText(params.code, 'code');
  const url = optionalText(params.url, 'url');
  const targetSystem = optionalText(params.targetSystem, 'targetSystem');
  const reverse = params.reverse === true;
  let maps: readonly ConceptMapIndex[];
  if (url) {
    const map = store.conceptMapIndex(url, optionalText(params.conceptMapVersion, 'conceptMapVersion'));
    if (!map) throw terminologyError(TerminologyError.UNKNOWN_CONCEPT_MAP, `Unknown ConceptMap ${url}`, 'url');
    maps = [map];
  } else {
    maps = reverse ? store.conceptMapsTo(system) : store.conceptMapsFrom(system);
  }
  const sourceValueSet = optionalText(params.source, 'source');
  const targetValueSet = optionalText(params.target, 'target');
  maps = maps.filter((map) => {
    const [inputSide, outputSide] = reverse ? [map.targetValueSet, map.sourceValueSet] : [map.sourceValueSet, map.targetValueSet];
    return (!sourceValueSet || inputSide === sourceValueSet) && (!targetValueSet || outputSide === targetValueSet);
  });

  const version = optionalText(params.version, 'version');
  const matches: TranslateMatch[] = [];
  for (const map of maps) {
    if (reverse) matches.push(...reverseMatches(map, system, code, targetSystem));
    else matches.push(...forwardMatches(store, map, system, code, version, targetSystem, 0));
  }
  const result = matches.some((match) => !isNegativeEquivalence(match.equivalence));
  if (result) return { result, matches };
  const toWhere = targetSystem ? ` to ${targetSystem}` : '';
  const message =
    matches.length > 0
      ? `Code ${JSON.stringify(code)} from ${system} is marked ${matches.map((m) => m.equivalence).join('/')}${toWhere} in the ConceptMap`
      : `No ${reverse ? 'reverse ' : ''}mapping for code ${JSON.stringify(code)} from ${system}${toWhere}${url ? ` in ConceptMap ${url}` : ''}`;
  return { result, message, matches };
}

function forwardMatches(
  store: TerminologyStore,
  map: ConceptMapIndex,
  system: string,
  code: string,
  version: string | undefined,
  targetSystem: string | undefined,
  depth: number,
): TranslateMatch[] {
  const source = formatCanonical(map.url, map.version);
  const matches: TranslateMatch[] = [];
  for (const group of map.groupsFrom(system)) {
    if (!groupApplies(group, version, targetSystem)) continue;
    const element = group.elements.get(code);
    if (element) {
      for (const target of element.target ?? []) {
        matches.push({
          equivalence: target.equivalence,
          ...(target.code !== undefined ? { concept: coding(group.target, target.code, target.display, group.group.targetVersion) } : undefined),
          source,
          ...(target.comment ? { comment: target.comment } : undefined),
        });
      }
      continue;
    }
    matches.push(...unmappedMatches(store, group, source, system, code, version, targetSystem, depth));
  }
  return matches;
}

function unmappedMatches(
  store: TerminologyStore,
  group: IndexedGroup,
  source: string,
  system: string,
  code: string,
  version: string | undefined,
  targetSystem: string | undefined,
  depth: number,
): TranslateMatch[] {
  const rule = group.group.unmapped;
  if (!rule) return [];
  if (rule.mode === 'provided') return [{ equivalence: 'equal', concept: coding(group.target, code, undefined, group.group.targetVersion), source }];
  if (rule.mode === 'fixed' && rule.code) {
    return [{ equivalence: 'wider', concept: coding(group.target, rule.code, rule.display, group.group.targetVersion), source }];
  }
  if (rule.mode === 'other-map' && rule.url) {
    if (depth >= MAX_OTHER_MAP_DEPTH) {
      throw terminologyError(TerminologyError.INVALID_RESOURCE, `ConceptMap ${source}: unmapped other-map chain is deeper than ${MAX_OTHER_MAP_DEPTH} (a loop?)`);
    }
    const other = store.conceptMapIndex(rule.url);
    return other ? forwardMatches(store, other, system, code, version, targetSystem, depth + 1) : [];
  }
  return [];
}

function reverseMatches(map: ConceptMapIndex, system: string, code: string, sourceSystem: string | undefined): TranslateMatch[] {
  const source = formatCanonical(map.url, map.version);
  const matches: TranslateMatch[] = [];
  for (const group of map.groupsTo(system)) {
    if (sourceSystem && group.source !== sourceSystem) continue;
    for (const { element, target } of group.reverse.get(code) ?? []) {
      matches.push({
        equivalence: REVERSED[target.equivalence] ?? target.equivalence,
        concept: coding(group.source, element.code as string, element.display, group.group.sourceVersion),
        source,
        ...(target.comment ? { comment: target.comment } : undefined),
      });
    }
  }
  return matches;
}

function groupApplies(group: IndexedGroup, version: string | undefined, targetSystem: string | undefined): boolean {
  if (targetSystem && group.target !== targetSystem) return false;
  if (version && group.group.sourceVersion && group.group.sourceVersion !== version) return false;
  return true;
}

function coding(system: string | undefined, code: string, display: string | undefined, version: string | undefined): Coding {
  return {
    ...(system ? { system } : undefined),
    ...(version ? { version } : undefined),
    code,
    ...(display ? { display } : undefined),
  };
}
