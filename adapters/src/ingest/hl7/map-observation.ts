import { LOINC } from '@medplum/core';
import type { CodeableConcept, Identifier, Observation, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { codedElement } from './coded-element.ts';
import type { MappingSession } from './mapping-session.ts';
import type { EncounterContext } from './map-encounter.ts';
import type { PatientContext } from './map-patient.ts';
import { practitionerReference } from './map-practitioner.ts';
import { referenceRange, setObservationValue } from './observation-value.ts';
import type { ObservationGroup } from './order-groups.ts';
import { noteText } from './order-groups.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR, v2Table } from './v2-code-tables.ts';

export interface ObservationContext {
  readonly patient: PatientContext;
  readonly encounter?: EncounterContext;
  readonly basedOn: Reference<ServiceRequest>;
  readonly category?: CodeableConcept[];
  /** The report's filler number: with the OBX set id it keys the Observation. */
  readonly reportKey: string;
  /** OBR-7, used when OBX-14 is empty. */
  readonly effective?: string;
  /** OBR-22. */
  readonly issued?: string;
}

/**
 * OBX (+ NTE) → Observation keyed on `<report filler number>.<OBX-1>[.<OBX-4>]`, so a corrected
 * result replaces the preliminary one. Code (OBX-3, LOINC where a map knows it), value by type,
 * UCUM unit, reference range, abnormal flags, status, time, performer, method and notes.
 */
export function mapObservation(session: MappingSession, group: ObservationGroup, position: number, context: ObservationContext): Reference<Observation> {
  const { obx } = group;
  const setId = obx.value(1) || String(position);
  const subId = obx.value(4);
  const value = [context.reportKey, setId, subId].filter(Boolean).join('.');
  const identifier: Identifier = { system: session.systems.observation, value };
  const observation: Observation = {
    resourceType: 'Observation',
    identifier: [identifier],
    basedOn: [context.basedOn],
    status: observationStatus(session, obx.value(11)),
    code: codedElement(session, obx.field(3), 'OBX-3', { target: LOINC }) ?? { text: `OBX ${setId}` },
    subject: context.patient.reference,
  };
  if (context.category) {
    observation.category = context.category;
  }
  if (context.encounter) {
    observation.encounter = context.encounter.reference;
  }
  const effective = session.dateTime('OBX-14', obx.value(14)) ?? context.effective;
  if (effective) {
    observation.effectiveDateTime = effective;
  }
  if (context.issued) {
    observation.issued = context.issued;
  }
  setObservationValue(session, obx, observation);
  const range = referenceRange(session, obx);
  if (range) {
    observation.referenceRange = [range];
  }
  const interpretation = obx.repetitions(8).map((flag) => interpretationOf(session, flag.get(1)));
  if (interpretation.length > 0) {
    observation.interpretation = interpretation;
  }
  const performers = obx.repetitions(16).flatMap((xcn) => practitionerReference(session, xcn, 'OBX-16') ?? []);
  if (performers.length > 0) {
    observation.performer = performers;
  }
  const method = codedElement(session, obx.field(17), 'OBX-17');
  if (method) {
    observation.method = method;
  }
  const note = noteText(group.notes);
  if (note) {
    observation.note = [{ text: note }];
  }
  return session.bundle.put(observation, identifierSearch(identifier.system as string, value));
}

function observationStatus(session: MappingSession, code: string): Observation['status'] {
  if (!code) {
    session.warn('OBX-11', 'no result status; Observation.status is unknown');
    return 'unknown';
  }
  return (session.tableCode('OBX-11', '0085', code, FHIR.observationStatus) ?? 'unknown') as Observation['status'];
}

/** OBX-8 abnormal flag → v3 ObservationInterpretation, or the v2-0078 code itself when no map knows it. */
function interpretationOf(session: MappingSession, flag: string): CodeableConcept {
  const mapped = session.translate('OBX-8', v2Table('0078'), flag, FHIR.interpretation);
  return { coding: [mapped ?? { system: v2Table('0078'), code: flag }] };
}
