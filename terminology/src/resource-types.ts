import type { CodeSystem, ConceptMap, ConceptMapGroupElementTarget, ValueSet } from '@medplum/fhirtypes';

/** The resources the terminology store holds. */
export type TerminologyResource = CodeSystem | ValueSet | ConceptMap;
export type TerminologyResourceType = TerminologyResource['resourceType'];

export const TERMINOLOGY_RESOURCE_TYPES: readonly TerminologyResourceType[] = ['CodeSystem', 'ValueSet', 'ConceptMap'];

export function isTerminologyResourceType(value: unknown): value is TerminologyResourceType {
  return typeof value === 'string' && (TERMINOLOGY_RESOURCE_TYPES as readonly string[]).includes(value);
}

/** FHIR R4 ConceptMapEquivalence, read from target to source ("the target is wider than the source"). */
export type ConceptMapEquivalence = ConceptMapGroupElementTarget['equivalence'];

export const CONCEPT_MAP_EQUIVALENCES: readonly ConceptMapEquivalence[] = [
  'relatedto',
  'equivalent',
  'equal',
  'wider',
  'subsumes',
  'narrower',
  'specializes',
  'inexact',
  'unmatched',
  'disjoint',
];

export function isConceptMapEquivalence(value: unknown): value is ConceptMapEquivalence {
  return typeof value === 'string' && (CONCEPT_MAP_EQUIVALENCES as readonly string[]).includes(value);
}

/** Equivalences that say "there is no usable target" ($translate's `result` is false for these alone). */
export function isNegativeEquivalence(equivalence: ConceptMapEquivalence): boolean {
  return equivalence === 'unmatched' || equivalence === 'disjoint';
}

export const CODE_SYSTEM_CONTENT_MODES: readonly CodeSystem['content'][] = [
  'not-present',
  'example',
  'fragment',
  'complete',
  'supplement',
];
