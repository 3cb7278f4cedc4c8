import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import type { ValueSetExpansion } from './value-set-expansion.ts';

/** Largest value set whose codes are listed in an error message. */
const MAX_LISTED_CODES = 12;

const STRING_TYPES = new Set(['code', 'string', 'uri']);
const QUANTITY_TYPES = new Set(['Quantity', 'SimpleQuantity', 'MoneyQuantity', 'Age', 'Count', 'Distance', 'Duration']);

/** Element types a required binding can constrain (eld-11) and that this module knows how to check. */
export function isBindableType(typeCode: string): boolean {
  return (
    STRING_TYPES.has(typeCode) ||
    typeCode === 'Coding' ||
    typeCode === 'CodeableConcept' ||
    QUANTITY_TYPES.has(typeCode)
  );
}

/**
 * Checks a value of an element with a required binding against the bound value set's expansion.
 * Returns a human readable reason when the value is not a member, undefined when it is (or cannot
 * be judged: wrong JSON shape, which structural validation reports, or a value set that is not
 * fully expandable from what ships).
 */
export function findBindingViolation(
  expansion: ValueSetExpansion,
  typeCode: string,
  value: unknown
): string | undefined {
  if (expansion.indeterminate) {
    return undefined;
  }
  if (STRING_TYPES.has(typeCode)) {
    return typeof value === 'string' ? checkBareCode(expansion, value) : undefined;
  }
  if (!isPlainObject(value)) {
    return undefined;
  }
  if (typeCode === 'Coding') {
    return checkCoding(expansion, value as Coding);
  }
  if (typeCode === 'CodeableConcept') {
    return checkCodeableConcept(expansion, value as CodeableConcept);
  }
  if (QUANTITY_TYPES.has(typeCode)) {
    // A quantity with only a free-text unit has nothing coded to check.
    const { system, code } = value as { system?: unknown; code?: unknown };
    return typeof code === 'string' ? checkCoding(expansion, { system: asString(system), code }) : undefined;
  }
  return undefined;
}

function checkBareCode(expansion: ValueSetExpansion, code: string): string | undefined {
  if (expansion.openSystems.size > 0 || expansion.allCodes.has(code)) {
    return undefined;
  }
  return `Value "${code}" is not in the required value set ${expansion.url}${listAllowed(expansion)}`;
}

function checkCoding(expansion: ValueSetExpansion, coding: Coding): string | undefined {
  if (isCodingMember(expansion, coding)) {
    return undefined;
  }
  if (typeof coding.code !== 'string') {
    return `Coding has no code, but the required value set ${expansion.url} needs one${listAllowed(expansion)}`;
  }
  return `Coding ${describeCoding(coding)} is not in the required value set ${expansion.url}${listAllowed(expansion)}`;
}

function checkCodeableConcept(expansion: ValueSetExpansion, concept: CodeableConcept): string | undefined {
  const codings = Array.isArray(concept.coding) ? concept.coding.filter(isPlainObject) : [];
  if (codings.some((coding) => isCodingMember(expansion, coding))) {
    return undefined;
  }
  if (codings.length === 0) {
    return `CodeableConcept has no coding, but the required value set ${expansion.url} needs one${listAllowed(expansion)}`;
  }
  const described = codings.map(describeCoding).join(', ');
  return `None of the codings (${described}) is in the required value set ${expansion.url}${listAllowed(expansion)}`;
}

function isCodingMember(expansion: ValueSetExpansion, coding: Coding): boolean {
  const { system, code } = coding;
  if (typeof code !== 'string') {
    return false;
  }
  if (typeof system !== 'string') {
    // A coding without a system can only be judged by its code.
    return expansion.openSystems.size > 0 || expansion.allCodes.has(code);
  }
  return expansion.openSystems.has(system) || expansion.codesBySystem.get(system)?.has(code) === true;
}

function describeCoding(coding: Coding): string {
  const system = typeof coding.system === 'string' ? coding.system : '(no system)';
  const code = typeof coding.code === 'string' ? coding.code : '(no code)';
  return `${system}|${code}`;
}

function listAllowed(expansion: ValueSetExpansion): string {
  if (expansion.openSystems.size > 0 || expansion.allCodes.size === 0 || expansion.allCodes.size > MAX_LISTED_CODES) {
    return '';
  }
  return ` (allowed: ${[...expansion.allCodes].join(', ')})`;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
