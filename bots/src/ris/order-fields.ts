import { createHash } from 'node:crypto';
import type { CodeableConcept, Coding, HumanName, Identifier, Patient, ServiceRequest } from '@medplum/fhirtypes';
import type { DeliveryInteraction } from '../runtime/delivery-body.ts';
import { components } from './hl7-text.ts';

/**
 * FHIR → HL7 v2 value tables for outbound orders: one small function per field kind, so the
 * message builder stays a list of segments.
 */

export const V2_IDENTIFIER_TYPES = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const DICOM_MODALITIES = 'http://dicom.nema.org/resources/ontology/DCM';
export const AE_TITLE_SYSTEM = 'http://sys-ids.kemkes.go.id/ae-title';
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';

/** Order control (ORC-1, table 0119). */
export type OrderControl = 'NW' | 'XO' | 'CA' | 'HD';

/**
 * ORC-1 from the interaction and the order's status: a deleted, revoked or entered-in-error order
 * is cancelled (CA) whatever the interaction; on-hold holds it (HD); otherwise a create is a new
 * order (NW) and an update a change (XO).
 */
export function orderControl(interaction: DeliveryInteraction, status: ServiceRequest['status'] | undefined): OrderControl {
  if (interaction === 'delete' || status === 'revoked' || status === 'entered-in-error') return 'CA';
  if (status === 'on-hold') return 'HD';
  return interaction === 'create' ? 'NW' : 'XO';
}

const ORDER_STATUS: Partial<Record<ServiceRequest['status'], string>> = {
  active: 'SC',
  'on-hold': 'HD',
  revoked: 'CA',
  'entered-in-error': 'CA',
  completed: 'CM',
};

/** ORC-5 (table 0038); empty for draft and unknown, which have no v2 counterpart. */
export function orderStatus(interaction: DeliveryInteraction, status: ServiceRequest['status'] | undefined): string {
  if (interaction === 'delete') return 'CA';
  return (status && ORDER_STATUS[status]) ?? '';
}

/**
 * Priority (table 0027 / 0485). FHIR orders routine < urgent < asap < stat; v2 has no "urgent", so
 * urgent goes as A (ASAP), the nearest code above routine that does not claim stat.
 */
export function orderPriority(priority: ServiceRequest['priority'] | undefined): string {
  switch (priority) {
    case 'stat':
      return 'S';
    case 'asap':
    case 'urgent':
      return 'A';
    case 'routine':
      return 'R';
    default:
      return '';
  }
}

/** Table 0396 names for the code systems orders use; the inverse of the ingest's table. */
const CODING_SYSTEM_NAMES: Readonly<Record<string, string>> = {
  'http://loinc.org': 'LN',
  'http://snomed.info/sct': 'SCT',
  'http://dicom.nema.org/resources/ontology/DCM': 'DCM',
  'http://hl7.org/fhir/sid/icd-10': 'I10',
  'http://hl7.org/fhir/sid/icd-10-cm': 'I10C',
  'http://hl7.org/fhir/sid/icd-9-cm': 'I9C',
  'http://www.ama-assn.org/go/cpt': 'C4',
  'http://terminology.kemkes.go.id/CodeSystem/kptl': 'KPTL',
  'http://sys-ids.kemkes.go.id/kfa': 'KFA',
};

/** CE/CWE-3: a known system's table 0396 name, a system that already is a short name as is, else `L` (local). */
export function codingSystemName(system: string | undefined): string {
  if (!system) return '';
  const known = CODING_SYSTEM_NAMES[system.replace(/\/$/, '')];
  if (known) return known;
  return /^[A-Za-z0-9_-]{1,20}$/.test(system) ? system : 'L';
}

/**
 * A CodeableConcept as CE/CWE `code^text^system`, LOINC first when there is one, with the next
 * coding as the alternate (components 4-6). Only text: `^text`. Undefined when there is nothing.
 */
export function codedElement(concept: CodeableConcept | undefined): string | undefined {
  if (!concept) return undefined;
  const codings = (concept.coding ?? []).filter((coding): coding is Coding & { code: string } => !!coding.code?.trim());
  const loinc = codings.findIndex((coding) => coding.system === 'http://loinc.org');
  if (loinc > 0) codings.unshift(...codings.splice(loinc, 1));
  const [primary, alternate] = codings;
  if (!primary) {
    const text = concept.text?.trim() || concept.coding?.find((coding) => coding.display?.trim())?.display;
    return text ? components(undefined, text) : undefined;
  }
  const parts = [primary.code, primary.display ?? concept.text, codingSystemName(primary.system)];
  if (alternate) parts.push(alternate.code, alternate.display, codingSystemName(alternate.system));
  return components(...parts);
}

/** The assigning authority of an identifier: `assigner.display`, else the last path segment of its system. */
export function identifierAuthority(identifier: Identifier): string {
  const display = identifier.assigner?.display?.trim();
  if (display) return display;
  const system = identifier.system?.trim();
  if (!system) return '';
  if (system.startsWith('urn:oid:')) return system.slice('urn:oid:'.length);
  return system.split(/[/#:]/).filter((part) => part !== '').pop() ?? '';
}

/** Identifier type code (v2-0203 preferred). */
export function identifierTypeCode(identifier: Identifier): string {
  const codings = identifier.type?.coding ?? [];
  return (codings.find((coding) => coding.system === V2_IDENTIFIER_TYPES) ?? codings[0])?.code ?? '';
}

export function hasIdentifierType(identifier: Identifier, code: string): boolean {
  return (identifier.type?.coding ?? []).some((coding) => coding.code === code);
}

/** CX `value^^^authority^type`. */
export function cxIdentifier(identifier: Identifier & { value: string }): string {
  return components(identifier.value, undefined, undefined, identifierAuthority(identifier), identifierTypeCode(identifier));
}

/** EI `value^namespace`. */
export function eiIdentifier(identifier: Identifier & { value: string }): string {
  return components(identifier.value, identifierAuthority(identifier));
}

export function withValue(identifiers: readonly Identifier[] | undefined): (Identifier & { value: string })[] {
  return (identifiers ?? []).filter((identifier): identifier is Identifier & { value: string } => !!identifier.value?.trim());
}

/**
 * PID-3 repetitions: every identifier with a value, or only those of `system` when one is
 * configured. Empty when the patient has none to send.
 */
export function patientIdentifierList(patient: Patient, system: string | undefined): string[] {
  const identifiers = withValue(patient.identifier).filter((identifier) => system === undefined || identifier.system === system);
  return [...new Set(identifiers.map(cxIdentifier))];
}

/** The name to send: official, else usual, else the first one. */
export function preferredName(names: readonly HumanName[] | undefined): HumanName | undefined {
  if (!names || names.length === 0) return undefined;
  return names.find((name) => name.use === 'official') ?? names.find((name) => name.use === 'usual') ?? names[0];
}

/** XPN components (family, given, further given names, suffix, prefix); a name with only `text` goes in family. */
export function nameComponents(name: HumanName | undefined): (string | undefined)[] {
  if (!name) return [];
  const given = name.given ?? [];
  if (!name.family && given.length === 0) return [name.text];
  return [name.family, given[0], given.slice(1).join(' ') || undefined, name.suffix?.[0], name.prefix?.[0]];
}

const GENDER: Record<string, string> = { male: 'M', female: 'F', other: 'O', unknown: 'U' };

/** PID-8 (table 0001). */
export function administrativeSex(gender: Patient['gender']): string {
  return (gender && GENDER[gender]) ?? '';
}

const PATIENT_CLASS: Record<string, string> = { AMB: 'O', EMER: 'E', IMP: 'I', ACUTE: 'I', NONAC: 'I', PRENC: 'P', OBSENC: 'O', SS: 'O', HH: 'O', VR: 'O' };

/** PV1-2 (table 0004) from Encounter.class (v3 ActCode); U when unknown or there is no encounter. */
export function patientClass(code: string | undefined): string {
  return (code && PATIENT_CLASS[code]) ?? 'U';
}

/** The DICOM modality code (CT, MR, ...) from `orderDetail`, when the order names one. */
export function orderModality(request: ServiceRequest): string | undefined {
  return codingIn(request.orderDetail, DICOM_MODALITIES)?.code;
}

/** The scheduled station AE title the ingest keeps in `orderDetail`. */
export function stationAeTitle(request: ServiceRequest): string | undefined {
  const coding = codingIn(request.orderDetail, AE_TITLE_SYSTEM);
  return coding?.display ?? coding?.code;
}

function codingIn(concepts: readonly CodeableConcept[] | undefined, system: string): Coding | undefined {
  for (const concept of concepts ?? []) {
    const coding = concept.coding?.find((candidate) => candidate.system === system && (candidate.code ?? candidate.display));
    if (coding) return coding;
  }
  return undefined;
}

/** The accession number: the identifier typed ACSN. */
export function accessionIdentifier(request: ServiceRequest): (Identifier & { value: string }) | undefined {
  return withValue(request.identifier).find((identifier) => hasIdentifierType(identifier, 'ACSN'));
}

/** The Study Instance UID when the order carries one (`urn:dicom:uid`, value `urn:oid:<uid>`). */
export function studyInstanceUid(request: ServiceRequest): string | undefined {
  const identifier = withValue(request.identifier).find((candidate) => candidate.system === DICOM_UID_SYSTEM);
  return identifier?.value.replace(/^urn:oid:/, '');
}

/**
 * MSH-10 for a delivery: 20 characters (the v2.3–2.6 limit) of base32 over SHA-256 of the
 * idempotency key, so a retry, redelivery or replay of one delivery carries the same control id and
 * the RIS can recognise it as a duplicate, while two deliveries never share one in practice.
 */
export function controlIdFor(idempotencyKey: string): string {
  const digest = createHash('sha256').update(idempotencyKey, 'utf8').digest();
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let bits = 0;
  let buffer = 0;
  let id = '';
  for (const byte of digest) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && id.length < 20) {
      bits -= 5;
      id += alphabet[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
    if (id.length === 20) break;
  }
  return id;
}
