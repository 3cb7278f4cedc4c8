import type { CodeableConcept, Coding, ValueSet } from '@medplum/fhirtypes';
import { TerminologyError, terminologyError } from '../errors.ts';
import type { IndexedConcept } from '../store/code-system-index.ts';
import type { TerminologyStore } from '../store/terminology-store.ts';
import { resolveValueSet } from './expand.ts';
import { optionalText, requireText } from './operation-inputs.ts';
import type { ExpansionEntry } from './value-set-expansion.ts';
import { expansionKey, fullExpansion } from './value-set-expansion.ts';

/** Output of $validate-code, shaped like FHIR's (`result`, `message`, `display`) plus the reason. */
export interface ValidateCodeResult {
  result: boolean;
  /** Why the result is false, or a warning when it is true (wrong display, inactive code). */
  message?: string;
  /** The code's preferred display, when known. */
  display?: string;
  reason?: 'unknown-system' | 'no-content' | 'unknown-code' | 'not-in-value-set' | 'wrong-display' | 'inactive';
  system?: string;
  code?: string;
}

export interface ValidateInCodeSystemParams {
  /** The code system's canonical URL (`url|version` works). */
  url?: string;
  code?: string;
  version?: string;
  display?: string;
  /** Alternative to url/code/display. */
  coding?: Coding;
}

export interface ValidateInValueSetParams {
  /** The ValueSet's canonical URL; or give `valueSet` inline. */
  url?: string;
  valueSetVersion?: string;
  valueSet?: ValueSet;
  /** With `code`: the code's system. May be left out when the ValueSet holds the code in one system only. */
  system?: string;
  code?: string;
  display?: string;
  coding?: Coding;
  /** Valid when any of its codings is. */
  codeableConcept?: CodeableConcept;
}

/**
 * CodeSystem/$validate-code. An unknown code system or code is `result: false` with a message;
 * a wrong display is `result: true` with a warning message (FHIR: the code is still valid).
 */
export function validateCodeInCodeSystem(store: TerminologyStore, params: ValidateInCodeSystemParams): ValidateCodeResult {
  const system = requireText(params.url ?? params.coding?.system, 'url');
  const code = requireText(params.code ?? params.coding?.code, 'code');
  const version = optionalText(params.version ?? params.coding?.version, 'version');
  const display = optionalText(params.display ?? params.coding?.display, 'display');
  const index = store.codeSystemIndex(system, version);
  if (!index) {
    return { result: false, reason: 'unknown-system', system, code, message: `Unknown code system ${system}${version ? ` version ${version}` : ''}` };
  }
  if (index.content === 'not-present') {
    return {
      result: false,
      reason: 'no-content',
      system,
      code,
      message: `Code system ${system} is loaded without its codes (content: not-present), so code ${JSON.stringify(code)} cannot be checked`,
    };
  }
  const concept = index.get(code);
  if (!concept) {
    const partial = index.isComplete ? '' : ` (only a ${index.content} of the system is loaded)`;
    return { result: false, reason: 'unknown-code', system, code, message: `Unknown code ${JSON.stringify(code)} in code system ${system}${partial}` };
  }
  return checkDisplayAndStatus(system, concept.code, display, concept.display, displaysOf(concept), concept.inactive);
}

/**
 * ValueSet/$validate-code: is the code (or any coding of a CodeableConcept) in the ValueSet?
 * Membership comes from the cached expansion. Unknown ValueSet → SIMPUL-TERM-002 (404).
 */
export function validateCodeInValueSet(store: TerminologyStore, params: ValidateInValueSetParams): ValidateCodeResult {
  const valueSet = resolveValueSet(store, params);
  const codings = codingsToCheck(params);
  const expansion = fullExpansion(store, valueSet);
  const name = valueSet.url ?? 'the inline ValueSet';
  const failures: ValidateCodeResult[] = [];
  for (const coding of codings) {
    const code = requireText(coding.code, 'code');
    const candidates = coding.system
      ? [expansion.byKey.get(expansionKey(coding.system, code))].filter((entry): entry is ExpansionEntry => entry !== undefined)
      : (expansion.byCode.get(code) ?? []);
    if (candidates.length === 1) {
      const entry = candidates[0];
      const concept = store.codeSystemIndex(entry.system, entry.version)?.get(entry.code);
      const known = concept ? displaysOf(concept) : [entry.display, ...(entry.designation ?? []).map((d) => d.value)];
      return checkDisplayAndStatus(entry.system, entry.code, coding.display, entry.display ?? concept?.display, known, entry.inactive ?? false);
    }
    if (candidates.length > 1) {
      failures.push({
        result: false,
        reason: 'not-in-value-set',
        code,
        message: `Code ${JSON.stringify(code)} is in ValueSet ${name} in several systems (${candidates.map((c) => c.system).join(', ')}); give the system`,
      });
      continue;
    }
    failures.push(notInValueSet(store, name, coding.system, code));
  }
  if (failures.length === 1) return failures[0];
  return { result: false, reason: 'not-in-value-set', message: failures.map((failure) => failure.message).join('; ') };
}

function codingsToCheck(params: ValidateInValueSetParams): Coding[] {
  if (params.codeableConcept) {
    // A coding with only a display is valid FHIR but has nothing to check.
    const codings = (params.codeableConcept.coding ?? []).filter((coding) => typeof coding.code === 'string' && coding.code !== '');
    if (codings.length === 0) {
      throw terminologyError(TerminologyError.INVALID_PARAMETER, 'codeableConcept has no coding with a code to validate', 'codeableConcept');
    }
    return codings;
  }
  if (params.coding) return [params.coding];
  return [{ system: optionalText(params.system, 'system'), code: requireText(params.code, 'code'), display: optionalText(params.display, 'display') }];
}

function notInValueSet(store: TerminologyStore, name: string, system: string | undefined, code: string): ValidateCodeResult {
  const index = system ? store.codeSystemIndex(system) : undefined;
  const unknownInSystem = index?.hasConcepts && index.isComplete && !index.get(code);
  return {
    result: false,
    reason: unknownInSystem ? 'unknown-code' : 'not-in-value-set',
    ...(system ? { system } : undefined),
    code,
    message: unknownInSystem
      ? `Unknown code ${JSON.stringify(code)} in code system ${system}`
      : `Code ${JSON.stringify(code)}${system ? ` from ${system}` : ''} is not in ValueSet ${name}`,
  };
}

function displaysOf(concept: IndexedConcept): Array<string | undefined> {
  return [concept.display, ...(concept.concept.designation ?? []).map((designation) => designation.value)];
}

function checkDisplayAndStatus(
  system: string,
  code: string,
  given: string | undefined,
  preferred: string | undefined,
  known: ReadonlyArray<string | undefined>,
  inactive: boolean,
): ValidateCodeResult {
  const base = { result: true, system, code, ...(preferred !== undefined ? { display: preferred } : undefined) };
  if (given !== undefined && known.some((value) => value !== undefined) && !known.some((value) => sameDisplay(value, given))) {
    return {
      ...base,
      reason: 'wrong-display',
      message: `Display ${JSON.stringify(given)} is not a display of code ${JSON.stringify(code)} in ${system}; expected ${JSON.stringify(preferred ?? known.find((value) => value !== undefined))}`,
    };
  }
  if (inactive) return { ...base, reason: 'inactive', message: `Code ${JSON.stringify(code)} in ${system} is inactive` };
  return base;
}

/** Displays compare ignoring case and runs of whitespace ("XR  chest PA" matches "XR Chest PA"). */
function sameDisplay(known: string | undefined, given: string): boolean {
  if (known === undefined) return false;
  const normalize = (text: string): string => text.trim().replace(/\s+/g, ' ').toLowerCase();
  return normalize(known) === normalize(given);
}
