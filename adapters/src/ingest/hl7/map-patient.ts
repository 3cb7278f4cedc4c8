import type { Extension, Identifier, Patient, Reference } from '@medplum/fhirtypes';
import { xadAddress, xtnContactPoint } from './address-telecom.ts';
import { codedElement } from './coded-element.ts';
import { cxIdentifier } from './cx-identifier.ts';
import { MappingError } from './mapping-error.ts';
import type { MappingSession } from './mapping-session.ts';
import { xpnName } from './person-name.ts';
import type { SegmentView } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR } from './v2-code-tables.ts';

/** The patient a message is about, as the other mappers need it. */
export interface PatientContext {
  readonly reference: Reference<Patient>;
  /** The identifier the Patient is written under (the MRN). */
  readonly identifier: Identifier & { system: string; value: string };
  /** `system|value` of that identifier: the key for per-patient ordering. */
  readonly key: string;
  readonly resource: Patient;
}

/**
 * How a message writes its Patient. ADT messages are the source of truth for demographics and
 * replace the Patient (`PUT`); orders, results and appointments only make sure the Patient exists
 * (`POST` + `ifNoneExist`) so a thin PID from a lab system never overwrites what ADT said.
 */
export type PatientWrite = 'replace' | 'ensure';

const MOTHERS_MAIDEN_NAME = 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName';

export function mapPatient(session: MappingSession, pid: SegmentView, write: PatientWrite): PatientContext {
  return writePatient(session, buildPatient(session, pid), write);
}

/** A Patient read from PID, not yet in the transaction (the merge mapper adds to it first). */
export interface BuiltPatient {
  readonly resource: Patient;
  readonly key: PatientContext['identifier'];
}

export function buildPatient(session: MappingSession, pid: SegmentView): BuiltPatient {
  const { identifiers, key } = patientIdentifiers(session, pid);
  return { resource: patientResource(session, pid, identifiers), key };
}

/** The conditional search a Patient is written under. */
export function patientSearch(key: PatientContext['identifier']): string {
  return identifierSearch(key.system, key.value);
}

export function writePatient(session: MappingSession, built: BuiltPatient, write: PatientWrite): PatientContext {
  const { resource, key } = built;
  const search = patientSearch(key);
  const reference = write === 'replace' ? session.bundle.put(resource, search) : session.bundle.createIfNoneExist(resource, search);
  const display = resource.name?.[0]?.text;
  return {
    reference: display ? { ...reference, display } : reference,
    identifier: key,
    key: `${key.system}|${key.value}`,
    resource,
  };
}

/**
 * PID-3 (plus PID-2 and PID-4, which 2.3 senders still use) → identifiers, and the one the Patient
 * is keyed on: the repetition whose type (CX-5) is the source's MRN type, else the first.
 */
export function patientIdentifiers(session: MappingSession, pid: SegmentView): { identifiers: Identifier[]; key: PatientContext['identifier'] } {
  const identifiers: Identifier[] = [];
  const seen = new Set<string>();
  const pid3Values = new Set(pid.repetitions(3).map((cx) => cx.get(1)));
  for (const field of [3, 2, 4]) {
    for (const cx of pid.repetitions(field)) {
      // 2.3 senders often repeat the MRN in PID-2 without an authority: not a second identifier.
      if (field !== 3 && pid3Values.has(cx.get(1))) {
        continue;
      }
      const identifier = cxIdentifier(session, cx, pid.ref(field));
      const id = identifier && `${identifier.system}|${identifier.value}`;
      if (identifier && id && !seen.has(id)) {
        seen.add(id);
        identifiers.push(identifier);
      }
    }
  }
  const mrnType = session.config.mrnIdentifierType;
  const key = identifiers.find((identifier) => identifier.type?.coding?.[0]?.code === mrnType) ?? identifiers[0];
  if (!key) {
    throw new MappingError({ field: 'PID-3', reason: 'no patient identifier (PID-3 is empty)', occurrence: pid.occurrence });
  }
  if (key.type?.coding?.[0]?.code !== mrnType) {
    session.warn('PID-3', `no identifier of type ${mrnType}; the Patient is keyed on ${key.system}|${key.value}`);
  }
  return { identifiers, key: key as PatientContext['identifier'] };
}

function patientResource(session: MappingSession, pid: SegmentView, identifiers: Identifier[]): Patient {
  const patient: Patient = { resourceType: 'Patient', identifier: identifiers, active: true };
  const names = pid.repetitions(5).flatMap((xpn) => xpnName(session, xpn, 'PID-5') ?? []);
  if (names.length > 0) {
    patient.name = names;
  }
  const telecom = [
    ...pid.repetitions(13).flatMap((xtn) => xtnContactPoint(session, xtn, 'PID-13', 'home') ?? []),
    ...pid.repetitions(14).flatMap((xtn) => xtnContactPoint(session, xtn, 'PID-14', 'work') ?? []),
  ];
  if (telecom.length > 0) {
    patient.telecom = telecom;
  }
  const gender = session.tableCode('PID-8', '0001', pid.value(8), FHIR.administrativeGender);
  if (gender) {
    patient.gender = gender as Patient['gender'];
  }
  const birthDate = session.date('PID-7', pid.value(7));
  if (birthDate) {
    patient.birthDate = birthDate;
  }
  const deceasedAt = session.dateTime('PID-29', pid.value(29));
  if (deceasedAt) {
    patient.deceasedDateTime = deceasedAt;
  } else if (pid.value(30) === 'Y' || pid.value(30) === 'N') {
    patient.deceasedBoolean = pid.value(30) === 'Y';
  }
  const addresses = pid.repetitions(11).flatMap((xad) => xadAddress(session, xad, 'PID-11') ?? []);
  if (addresses.length > 0) {
    patient.address = addresses;
  }
  const maritalCode = pid.value(16);
  const marital = session.translate('PID-16', 'http://terminology.hl7.org/CodeSystem/v2-0002', maritalCode, FHIR.maritalStatus);
  if (marital) {
    patient.maritalStatus = { coding: [marital], text: pid.value(16, 2) || marital.display };
  }
  const birthOrder = Number(pid.value(25));
  if (pid.value(24) === 'Y' && Number.isInteger(birthOrder) && birthOrder > 0) {
    patient.multipleBirthInteger = birthOrder;
  } else if (pid.value(24) === 'Y' || pid.value(24) === 'N') {
    patient.multipleBirthBoolean = pid.value(24) === 'Y';
  }
  const language = codedElement(session, pid.field(15), 'PID-15');
  if (language) {
    patient.communication = [{ language }];
  }
  const mothersMaidenName = pid.field(6).get(1, 1);
  if (mothersMaidenName) {
    const extension: Extension = { url: MOTHERS_MAIDEN_NAME, valueString: mothersMaidenName };
    patient.extension = [extension];
  }
  return patient;
}
