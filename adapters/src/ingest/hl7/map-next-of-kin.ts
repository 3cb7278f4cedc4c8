import type { CodeableConcept, Identifier, RelatedPerson } from '@medplum/fhirtypes';
import { xadAddress, xtnContactPoint } from './address-telecom.ts';
import { codedElement } from './coded-element.ts';
import { cxIdentifier } from './cx-identifier.ts';
import type { MappingSession } from './mapping-session.ts';
import type { PatientContext } from './map-patient.ts';
import { xpnName } from './person-name.ts';
import type { SegmentView } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR, v2Table } from './v2-code-tables.ts';

/**
 * NK1 → RelatedPerson (name, relationship, contact role, phones, address). NK1 rarely carries an
 * identifier (NK1-33), so the usual key is derived from the patient's MRN and the NK1 set id
 * (`<mrn>-<setId>`): a replay of the same ADT message updates the same RelatedPerson.
 */
export function mapNextOfKin(session: MappingSession, nk1: SegmentView, position: number, patient: PatientContext): void {
  const sent = nk1.repetitions(33).flatMap((cx) => cxIdentifier(session, cx, 'NK1-33', { kind: 'other', fallbackSystem: session.systems.relatedPerson }) ?? []);
  const setId = nk1.value(1) || String(position);
  const key: Identifier = sent[0] ?? { system: session.systems.relatedPerson, value: `${patient.identifier.value}-${setId}` };
  const person: RelatedPerson = {
    resourceType: 'RelatedPerson',
    identifier: sent.length > 0 ? sent : [key],
    active: true,
    patient: patient.reference,
  };
  const relationships = relationshipsOf(session, nk1);
  if (relationships.length > 0) {
    person.relationship = relationships;
  }
  const names = nk1.repetitions(2).flatMap((xpn) => xpnName(session, xpn, 'NK1-2') ?? []);
  if (names.length > 0) {
    person.name = names;
  }
  const telecom = [
    ...nk1.repetitions(5).flatMap((xtn) => xtnContactPoint(session, xtn, 'NK1-5', 'home') ?? []),
    ...nk1.repetitions(6).flatMap((xtn) => xtnContactPoint(session, xtn, 'NK1-6', 'work') ?? []),
  ];
  if (telecom.length > 0) {
    person.telecom = telecom;
  }
  const addresses = nk1.repetitions(4).flatMap((xad) => xadAddress(session, xad, 'NK1-4') ?? []);
  if (addresses.length > 0) {
    person.address = addresses;
  }
  const gender = session.tableCode('NK1-15', '0001', nk1.value(15), FHIR.administrativeGender);
  if (gender) {
    person.gender = gender as RelatedPerson['gender'];
  }
  session.bundle.put(person, identifierSearch(key.system as string, key.value as string));
}

/** NK1-3 relationship (translated to v3 RoleCode) and NK1-7 contact role (v2-0131, `N` next of kin when absent). */
function relationshipsOf(session: MappingSession, nk1: SegmentView): CodeableConcept[] {
  const relationships: CodeableConcept[] = [];
  const relationship = codedElement(session, nk1.field(3), 'NK1-3', { table: '0063', target: FHIR.roleCode });
  if (relationship) {
    relationships.push(relationship);
  }
  const role = codedElement(session, nk1.field(7), 'NK1-7', { table: '0131' }) ?? {
    coding: [{ system: v2Table('0131'), code: 'N', display: 'Next-of-Kin' }],
  };
  relationships.push(role);
  return relationships;
}
