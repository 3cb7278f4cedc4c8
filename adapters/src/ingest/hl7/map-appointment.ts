import type { Appointment, AppointmentParticipant, Identifier } from '@medplum/fhirtypes';
import { codedElement } from './coded-element.ts';
import { checkedIdentifierValue, identifierType } from './cx-identifier.ts';
import { MappingError } from './mapping-error.ts';
import type { MappingSession } from './mapping-session.ts';
import { locationReference } from './map-location.ts';
import type { PatientContext } from './map-patient.ts';
import { mapPatient } from './map-patient.ts';
import { practitionerReference } from './map-practitioner.ts';
import { noteText } from './order-groups.ts';
import type { SegmentView } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR } from './v2-code-tables.ts';
import { addMinutes } from './v2-datetime.ts';

/** SIU events: S15 cancels; the others take the filler status (SCH-25), `booked` when absent. */
export const SIU_EVENTS: Readonly<Record<string, { readonly status?: Appointment['status'] }>> = {
  S12: {},
  S13: {},
  S14: {},
  S15: { status: 'cancelled' },
};

/** Duration units (SCH-10 / AIS-8) → minutes per unit; minutes when absent. */
const MINUTES_PER_UNIT: Readonly<Record<string, number>> = { MIN: 1, M: 1, S: 1 / 60, SEC: 1 / 60, H: 60, HR: 60, HOUR: 60, D: 1440 };

/**
 * SIU^S12–S15 → Appointment keyed on the filler appointment id (SCH-2, else the placer's SCH-1):
 * status, start/end (AIS-4, TQ1-7/8 or SCH-11), duration, service (AIS-3), type (SCH-8), reason
 * (SCH-7), cancellation reason (SCH-6 on S15), and participants: the patient, the personnel
 * (AIP-3) and the locations (AIL-3).
 */
export function mapAppointmentMessage(session: MappingSession, event: { readonly status?: Appointment['status'] }): PatientContext {
  const sch = session.first('SCH');
  if (!sch) {
    throw new MappingError({ field: 'SCH', reason: `${session.header.messageType} has no SCH segment` });
  }
  const pid = session.first('PID');
  if (!pid) {
    throw new MappingError({ field: 'PID', reason: `${session.header.messageType} has no PID segment` });
  }
  const patient = mapPatient(session, pid, 'ensure');
  const identifiers = appointmentIdentifiers(session, sch);
  const key = identifiers[0];
  const appointment: Appointment = {
    resourceType: 'Appointment',
    identifier: identifiers,
    status: event.status ?? appointmentStatus(session, sch),
    participant: [{ actor: patient.reference, status: 'accepted' }, ...resourceParticipants(session)],
  };
  addSchedule(session, sch, appointment);
  const service = session.first('AIS');
  const serviceType = service && codedElement(session, service.field(3), 'AIS-3');
  if (serviceType) {
    appointment.serviceType = [serviceType];
  }
  const type = codedElement(session, sch.field(8), 'SCH-8', { table: '0276' });
  if (type) {
    appointment.appointmentType = type;
  }
  const reason = codedElement(session, sch.field(7), 'SCH-7');
  if (reason) {
    appointment.reasonCode = [reason];
    appointment.description = reason.text;
  }
  const cancellation = appointment.status === 'cancelled' && codedElement(session, sch.field(6), 'SCH-6');
  if (cancellation) {
    appointment.cancelationReason = cancellation;
  }
  const comment = noteText(session.all('NTE'));
  if (comment) {
    appointment.comment = comment;
  }
  session.bundle.put(appointment, identifierSearch(key.system as string, key.value as string));
  return patient;
}

function appointmentIdentifiers(session: MappingSession, sch: SegmentView): Identifier[] {
  const identifiers: Identifier[] = [];
  const filler = checkedIdentifierValue('SCH-2', sch.value(2));
  if (filler) {
    identifiers.push({ type: identifierType('FILL'), system: session.systems.appointment, value: filler });
  }
  const placer = checkedIdentifierValue('SCH-1', sch.value(1));
  if (placer) {
    identifiers.push({ type: identifierType('PLAC'), system: session.systems.placerAppointment, value: placer });
  }
  if (identifiers.length === 0) {
    throw new MappingError({ field: 'SCH-2', reason: 'no filler (SCH-2) or placer (SCH-1) appointment id' });
  }
  return identifiers;
}

function appointmentStatus(session: MappingSession, sch: SegmentView): Appointment['status'] {
  const code = sch.value(25);
  if (!code) {
    return 'booked';
  }
  return (session.tableCode('SCH-25', '0278', code, FHIR.appointmentStatus) ?? 'booked') as Appointment['status'];
}

function addSchedule(session: MappingSession, sch: SegmentView, appointment: Appointment): void {
  const ais = session.first('AIS');
  const tq1 = session.first('TQ1');
  const startSources: [string, string][] = [
    ['AIS-4', ais?.value(4) ?? ''],
    ['TQ1-7', tq1?.value(7) ?? ''],
    ['SCH-11', sch.value(11, 4)],
  ];
  const [startField, startRaw] = startSources.find(([, value]) => value) ?? ['', ''];
  const start = startRaw ? session.instant(startField, startRaw) : undefined;
  const minutes = durationMinutes(ais?.value(7) ?? '', ais?.value(8, 1) ?? '') ?? durationMinutes(sch.value(9), sch.value(10, 1));
  const endRaw = tq1?.value(8) || sch.value(11, 5);
  const end = endRaw ? session.instant(tq1?.value(8) ? 'TQ1-8' : 'SCH-11', endRaw) : start && minutes ? addMinutes(start, minutes) : undefined;
  if (start) {
    appointment.start = start;
  } else if (appointment.status !== 'cancelled') {
    session.warn('AIS-4', 'no start time (AIS-4, TQ1-7 or SCH-11)');
  }
  if (end) {
    appointment.end = end;
  }
  if (minutes) {
    appointment.minutesDuration = minutes;
  }
}

function durationMinutes(amount: string, unit: string): number | undefined {
  const value = Number(amount);
  if (!amount || !Number.isFinite(value) || value <= 0) {
    return undefined;
  }
  const perUnit = MINUTES_PER_UNIT[unit.toUpperCase()] ?? 1;
  return Math.round(value * perUnit);
}

/** AIP-3 personnel and AIL-3 locations as participants. */
function resourceParticipants(session: MappingSession): AppointmentParticipant[] {
  const participants: AppointmentParticipant[] = [];
  for (const aip of session.all('AIP')) {
    const actor = practitionerReference(session, aip.field(3), 'AIP-3');
    if (actor) {
      const role = codedElement(session, aip.field(4), 'AIP-4');
      participants.push({ ...(role && { type: [role] }), actor, status: 'accepted' });
    }
  }
  for (const ail of session.all('AIL')) {
    const actor = locationReference(session, ail.field(3));
    if (actor) {
      participants.push({ actor, status: 'accepted' });
    }
  }
  return participants;
}
