import type { CodeableConcept, Coding } from '@medplum/fhirtypes';

/** Marks a coding the terminology could not translate; valueBoolean true. */
export const UNMAPPED_CODE_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/unmapped-code';

/** A copy of `coding` carrying the unmapped-code extension (once, however often it is marked). */
export function markUnmappedCoding(coding: Coding): Coding {
  if (isMarkedUnmapped(coding)) return { ...coding, extension: [...(coding.extension ?? [])] };
  return { ...coding, extension: [...(coding.extension ?? []), { url: UNMAPPED_CODE_EXTENSION_URL, valueBoolean: true }] };
}

export function isMarkedUnmapped(coding: Coding): boolean {
  return coding.extension?.some((extension) => extension.url === UNMAPPED_CODE_EXTENSION_URL && extension.valueBoolean === true) ?? false;
}

/**
 * A copy of `concept` whose original coding carries the unmapped-code extension, so the gap is
 * visible on the stored resource. With `original`, only codings with its system and code are
 * marked (it is appended, marked, when the concept does not hold it yet); without, every coding.
 */
export function markUnmapped(concept: CodeableConcept, original?: Coding): CodeableConcept {
  const codings = concept.coding ?? [];
  if (!original) return { ...concept, coding: codings.map(markUnmappedCoding) };
  const matches = (coding: Coding): boolean => coding.system === original.system && coding.code === original.code;
  const marked = codings.map((coding) => (matches(coding) ? markUnmappedCoding(coding) : { ...coding }));
  if (!codings.some(matches)) marked.push(markUnmappedCoding(original));
  return { ...concept, coding: marked };
}
