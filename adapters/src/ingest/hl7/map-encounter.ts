import type { Encounter, EncounterLocation, EncounterParticipant, Reference } from '@medplum/fhirtypes';
import { codedElement } from './coded-element.ts';
import { cxIdentifier, identifierType } from './cx-identifier.ts';
import type { MappingSession } from './mapping-session.ts';
import { locationReference } from './map-location.ts';
import type { PatientContext } from './map-patient.ts';
import { practitionerReference } from './map-practitioner.ts';
import type { SegmentView } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR } from './v2-code-tables.ts';

/** PV1 fields that name a practitioner, and the v3 participation type each becomes. */
const PV1_PARTICIPANTS: readonly { field: number; code: string; display: string }[] = [
  { field: 7, code: 'ATND', display: 'attender' },
  { field: 8, code: 'REF', display: 'referrer' },
  { field: 9, code: 'CON', display: 'consultant' },
  { field: 17, code: 'ADM', display: 'admitter' },
];

const PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const NULL_FLAVOR = 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor';

export interface EncounterWrite {
  /** ADT owns the visit and replaces it; other messages only make sure it exists. */
  readonly write: 'replace' | 'ensure';
  readonly status: Encounter['status'];
  /** Status of the current location (PV1-3); a prior location (PV1-6) is always `completed`. */
  readonly locationStatus: EncounterLocation['status'];
}

export interface EncounterContext {
  readonly reference: Reference<Encounter>;
  readonly resource: Encounter;
  /** The visit number the Encounter is keyed on. */
  readonly visitNumber: string;
}

/**
 * PV1 (+ PV2) → Encounter keyed on the visit number (PV1-19): class, status, period (admit and
 * discharge times), attending/referring/consulting/admitting practitioners, current and prior
 * location, admit source, discharge disposition and admit reason. Without a visit number there is
 * nothing to key a conditional write on, so no Encounter is written (with a warning).
 */
export function mapEncounter(
  session: MappingSession,
  pv1: SegmentView,
  pv2: SegmentView | undefined,
  patient: PatientContext,
  options: EncounterWrite,
): EncounterContext | undefined {
  const visit = cxIdentifier(session, pv1.field(19), 'PV1-19', { kind: 'other', fallbackSystem: session.systems.visit });
  if (!visit?.value || !visit.system) {
    session.warn('PV1-19', 'no visit number; no Encounter written for this message');
    return undefined;
  }
  visit.type = identifierType('VN');
  const encounter: Encounter = {
    resourceType: 'Encounter',
    identifier: [visit],
    status: options.status,
    class: encounterClass(session, pv1),
    subject: patient.reference,
  };
  addDetails(session, pv1, pv2, encounter, options);
  const search = identifierSearch(visit.system, visit.value);
  const reference = options.write === 'replace' ? session.bundle.put(encounter, search) : session.bundle.createIfNoneExist(encounter, search);
  return { reference, resource: encounter, visitNumber: visit.value };
}

function encounterClass(session: MappingSession, pv1: SegmentView): Encounter['class'] {
  const patientClass = pv1.value(2);
  const mapped = session.translate('PV1-2', 'http://terminology.hl7.org/CodeSystem/v2-0004', patientClass, FHIR.actCode);
  if (mapped) {
    return mapped;
  }
  session.warn('PV1-2', patientClass ? `patient class "${patientClass}" has no FHIR encounter class` : 'no patient class; Encounter.class is UNK');
  return { system: NULL_FLAVOR, code: 'UNK', display: 'unknown' };
}

function addDetails(session: MappingSession, pv1: SegmentView, pv2: SegmentView | undefined, encounter: Encounter, options: EncounterWrite): void {
  const admissionType = codedElement(session, pv1.field(4), 'PV1-4', { table: '0007' });
  if (admissionType) {
    encounter.type = [admissionType];
  }
  const service = codedElement(session, pv1.field(10), 'PV1-10', { table: '0069' });
  if (service) {
    encounter.serviceType = service;
  }
  const participants = participantsOf(session, pv1);
  if (participants.length > 0) {
    encounter.participant = participants;
  }
  const start = session.dateTime('PV1-44', pv1.value(44));
  const end = session.dateTime('PV1-45', pv1.value(45));
  if (start || end) {
    encounter.period = { ...(start && { start }), ...(end && { end }) };
  }
  const locations: EncounterLocation[] = [];
  const current = locationReference(session, pv1.field(3));
  if (current) {
    locations.push({ location: current, status: options.locationStatus });
  }
  const prior = locationReference(session, pv1.field(6));
  if (prior) {
    locations.push({ location: prior, status: 'completed' });
  }
  if (locations.length > 0) {
    encounter.location = locations;
  }
  const admitSource = codedElement(session, pv1.field(14), 'PV1-14', { table: '0023' });
  const discharge = codedElement(session, pv1.field(36), 'PV1-36', { table: '0112' });
  if (admitSource || discharge) {
    encounter.hospitalization = { ...(admitSource && { admitSource }), ...(discharge && { dischargeDisposition: discharge }) };
  }
  const reason = pv2 && codedElement(session, pv2.field(3), 'PV2-3');
  if (reason) {
    encounter.reasonCode = [reason];
  }
}

function participantsOf(session: MappingSession, pv1: SegmentView): EncounterParticipant[] {
  const participants: EncounterParticipant[] = [];
  for (const { field, code, display } of PV1_PARTICIPANTS) {
    for (const xcn of pv1.repetitions(field)) {
      const individual = practitionerReference(session, xcn, pv1.ref(field));
      if (individual) {
        participants.push({ type: [{ coding: [{ system: PARTICIPATION_TYPE, code, display }] }], individual });
      }
    }
  }
  return participants;
}
