import { markUnmappedCoding } from '@simpul/terminology';
import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import type { MappingSession } from './mapping-session.ts';
import type { V2Composite } from './segment-view.ts';

export interface CodedElementOptions {
  /** The v2 table the field is bound to, used as the system when the sender names none. */
  readonly table?: string;
  /** Translate into this system (LOINC for OBX-3, ...); an untranslatable code is reported as unmapped. */
  readonly target?: string;
  /** Coding system name to use when CE-3 is empty (DG1-2 in 2.3 names the diagnosis coding method). */
  readonly defaultCodingSystem?: string;
}

/**
 * CE / CWE / CNE (OBR-4, OBX-3, DG1-3, AL1-3, ...) → CodeableConcept: the identifier triplet and
 * the alternate triplet as codings (their coding system names resolved to URIs), the text from
 * CWE-9 original text or the display. With a `target`, a translation is put first and the sender's
 * codings kept after it.
 */
export function codedElement(session: MappingSession, ce: V2Composite, field: string, options: CodedElementOptions = {}): CodeableConcept | undefined {
  const codings: Coding[] = [];
  for (const offset of [0, 3]) {
    const code = ce.get(1 + offset);
    if (!code) {
      continue;
    }
    const systemName = ce.get(3 + offset) || (offset === 0 ? (options.defaultCodingSystem ?? '') : '');
    const coding: Coding = { system: session.codingSystem(systemName, field, options.table), code };
    const display = ce.get(2 + offset);
    if (display) {
      coding.display = display;
    }
    codings.push(coding);
  }
  const text = ce.get(9) || ce.get(2) || ce.get(5);
  if (codings.length === 0 && !text) {
    return undefined;
  }
  const concept: CodeableConcept = {};
  if (options.target && codings.length > 0 && !codings.some((coding) => coding.system === options.target)) {
    const translated = translateFirst(session, codings, field, options.target);
    if (translated) {
      codings.unshift(translated);
    } else {
      // Visible on the resource: the original coding stays, marked as not mapped to the target yet.
      codings[0] = markUnmappedCoding(codings[0]);
    }
  }
  if (codings.length > 0) {
    concept.coding = codings;
  }
  if (text) {
    concept.text = text;
  }
  return concept;
}

function translateFirst(session: MappingSession, codings: readonly Coding[], field: string, target: string): Coding | undefined {
  for (const coding of codings) {
    const translated = session.translateQuietly(coding.system as string, coding.code as string, target);
    if (translated) {
      return translated;
    }
  }
  const [primary] = codings;
  session.reportUnmapped({ field, system: primary.system as string, code: primary.code as string, display: primary.display, targetSystem: target });
  return undefined;
}
