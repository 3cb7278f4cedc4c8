import type { Encounter, EncounterLocation } from '@medplum/fhirtypes';
import { MappingError } from './mapping-error.ts';
import type { MappingSession } from './mapping-session.ts';
import { mapAllergy } from './map-allergy.ts';
import { mapDiagnosis } from './map-diagnosis.ts';
import type { EncounterContext } from './map-encounter.ts';
import { mapEncounter } from './map-encounter.ts';
import { mapNextOfKin } from './map-next-of-kin.ts';
import type { PatientContext } from './map-patient.ts';
import { mapPatient } from './map-patient.ts';
import type { SegmentView } from './segment-view.ts';

/** What an ADT event does to the visit. Person-only events (A28, A31) write no Encounter. */
interface AdtEvent {
  readonly encounter?: {
    /** `from-visit`: the admit/discharge times in PV1 decide (A08 updates whatever state the visit is in). */
    readonly status: Encounter['status'] | 'from-visit';
    readonly location: EncounterLocation['status'];
  };
}

export const ADT_EVENTS: Readonly<Record<string, AdtEvent>> = {
  A01: { encounter: { status: 'in-progress', location: 'active' } },
  A02: { encounter: { status: 'in-progress', location: 'active' } },
  A03: { encounter: { status: 'finished', location: 'completed' } },
  A04: { encounter: { status: 'arrived', location: 'active' } },
  A05: { encounter: { status: 'planned', location: 'planned' } },
  A08: { encounter: { status: 'from-visit', location: 'active' } },
  A11: { encounter: { status: 'cancelled', location: 'completed' } },
  A13: { encounter: { status: 'in-progress', location: 'active' } },
  A28: {},
  A31: {},
};

/**
 * ADT A01/A02/A03/A04/A05/A08/A11/A13/A28/A31 → Patient (replaced: ADT owns demographics),
 * RelatedPerson per NK1, Encounter from PV1/PV2, AllergyIntolerance per AL1, Condition per DG1.
 */
export function mapAdtMessage(session: MappingSession, event: AdtEvent): PatientContext {
  const pid = session.first('PID');
  if (!pid) {
    throw new MappingError({ field: 'PID', reason: `${session.header.messageType} has no PID segment` });
  }
  const patient = mapPatient(session, pid, 'replace');
  session.all('NK1').forEach((nk1, index) => mapNextOfKin(session, nk1, index + 1, patient));
  const pv1 = session.first('PV1');
  let encounter: EncounterContext | undefined;
  if (event.encounter && pv1) {
    const status = event.encounter.status === 'from-visit' ? statusFromVisit(pv1) : event.encounter.status;
    const locationStatus = status === 'finished' ? 'completed' : event.encounter.location;
    encounter = mapEncounter(session, pv1, session.first('PV2'), patient, { write: 'replace', status, locationStatus });
  }
  for (const al1 of session.all('AL1')) {
    mapAllergy(session, al1, patient);
  }
  for (const dg1 of session.all('DG1')) {
    mapDiagnosis(session, dg1, patient, encounter);
  }
  return patient;
}

function statusFromVisit(pv1: SegmentView): Encounter['status'] {
  if (pv1.value(45)) {
    return 'finished';
  }
  if (pv1.value(44)) {
    return 'in-progress';
  }
  return pv1.value(2) === 'P' ? 'planned' : 'unknown';
}
