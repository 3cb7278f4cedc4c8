import type { Condition, EncounterDiagnosis } from '@medplum/fhirtypes';
import { codedElement } from './coded-element.ts';
import type { MappingSession } from './mapping-session.ts';
import type { EncounterContext } from './map-encounter.ts';
import type { PatientContext } from './map-patient.ts';
import { practitionerReference } from './map-practitioner.ts';
import type { SegmentView } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR } from './v2-code-tables.ts';

const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';

/**
 * DG1 → Condition (category encounter-diagnosis) and, when there is an Encounter, an
 * `Encounter.diagnosis` entry with the role from the diagnosis type (DG1-6) and the rank from
 * DG1-15. Keyed on DG1-20 when the sender gives a diagnosis identifier, else on the visit number
 * (or MRN) plus the diagnosis code.
 */
export function mapDiagnosis(session: MappingSession, dg1: SegmentView, patient: PatientContext, encounter: EncounterContext | undefined): void {
  const field = dg1.ref(3);
  // 2.3 senders name the coding system in DG1-2 (diagnosis coding method) instead of DG1-3.3.
  const code = codedElement(session, dg1.field(3), field, { defaultCodingSystem: dg1.value(2) });
  const codeKey = dg1.value(3, 1);
  if (!code || !codeKey) {
    session.warn(field, 'DG1 without a diagnosis code; not mapped');
    return;
  }
  const value = dg1.value(20) || `${encounter?.visitNumber ?? patient.identifier.value}-${codeKey}`;
  const condition: Condition = {
    resourceType: 'Condition',
    identifier: [{ system: session.systems.condition, value }],
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }] }],
    code,
    subject: patient.reference,
  };
  if (encounter) {
    condition.encounter = encounter.reference;
  }
  const recorded = session.dateTime('DG1-5', dg1.value(5));
  if (recorded) {
    condition.recordedDate = recorded;
  }
  const asserter = practitionerReference(session, dg1.field(16), 'DG1-16');
  if (asserter) {
    condition.asserter = asserter;
  }
  const reference = session.bundle.put(condition, identifierSearch(session.systems.condition, value));
  if (encounter) {
    const diagnosis: EncounterDiagnosis = { condition: reference };
    const role = session.translate('DG1-6', 'http://terminology.hl7.org/CodeSystem/v2-0052', dg1.value(6), FHIR.diagnosisRole);
    if (role) {
      diagnosis.use = { coding: [role] };
    }
    const rank = Number(dg1.value(15));
    if (Number.isInteger(rank) && rank > 0) {
      diagnosis.rank = rank;
    }
    encounter.resource.diagnosis = [...(encounter.resource.diagnosis ?? []), diagnosis];
  }
}
