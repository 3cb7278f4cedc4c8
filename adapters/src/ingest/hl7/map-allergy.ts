import type { AllergyIntolerance } from '@medplum/fhirtypes';
import { codedElement } from './coded-element.ts';
import type { MappingSession } from './mapping-session.ts';
import type { PatientContext } from './map-patient.ts';
import type { SegmentView } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR } from './v2-code-tables.ts';

const CLINICAL_STATUS = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';

/**
 * AL1 → AllergyIntolerance: allergen (AL1-3), category from the allergen type (AL1-2), criticality
 * from the severity (AL1-4), reactions (AL1-5), onset (AL1-6). AL1 has no identifier; the key is
 * the patient's MRN plus the allergen code (or its text), which, unlike the set id, stays put when
 * the sender reorders the list.
 */
export function mapAllergy(session: MappingSession, al1: SegmentView, patient: PatientContext): void {
  const field = al1.ref(3);
  const code = codedElement(session, al1.field(3), field);
  const allergenKey = al1.value(3, 1) || slug(al1.value(3, 2));
  if (!code || !allergenKey) {
    session.warn(field, 'AL1 without an allergen code or text; not mapped');
    return;
  }
  const value = `${patient.identifier.value}-${allergenKey}`;
  const allergy: AllergyIntolerance = {
    resourceType: 'AllergyIntolerance',
    identifier: [{ system: session.systems.allergy, value }],
    clinicalStatus: { coding: [{ system: CLINICAL_STATUS, code: 'active' }] },
    patient: patient.reference,
    code,
  };
  const category = session.tableCode('AL1-2', '0127', al1.value(2, 1), FHIR.allergyCategory);
  if (category) {
    allergy.category = [category as NonNullable<AllergyIntolerance['category']>[number]];
  }
  const criticality = session.tableCode('AL1-4', '0128', al1.value(4, 1), FHIR.allergyCriticality);
  if (criticality) {
    allergy.criticality = criticality as AllergyIntolerance['criticality'];
  }
  const reactions = al1.repetitions(5).map((reaction) => reaction.get(1)).filter(Boolean);
  if (reactions.length > 0) {
    allergy.reaction = [{ manifestation: reactions.map((text) => ({ text })) }];
  }
  const onset = session.dateTime('AL1-6', al1.value(6));
  if (onset) {
    allergy.onsetDateTime = onset;
  }
  session.bundle.put(allergy, identifierSearch(session.systems.allergy, value));
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
