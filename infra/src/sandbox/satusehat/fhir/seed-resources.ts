import type { SandboxOrganization, SandboxPerson } from '../sandbox-options.ts';
import type { FhirJson } from './fhir-json.ts';

/** Identifier systems of the national master indexes (section 3). */
export const NIK_SYSTEM = 'https://fhir.kemkes.go.id/id/nik';
export const IHS_NUMBER_SYSTEM = 'https://fhir.kemkes.go.id/id/ihs-number';
export const NAKES_IHS_NUMBER_SYSTEM = 'https://fhir.kemkes.go.id/id/nakes-his-number';

const PROFILE_BASE = 'https://fhir.kemkes.go.id/r4/StructureDefinition';

export function patientResource(person: SandboxPerson): FhirJson & { id: string } {
  return personResource('Patient', person, IHS_NUMBER_SYSTEM);
}

export function practitionerResource(person: SandboxPerson): FhirJson & { id: string } {
  return personResource('Practitioner', person, NAKES_IHS_NUMBER_SYSTEM);
}

export function organizationResource(org: SandboxOrganization): FhirJson & { id: string } {
  return {
    resourceType: 'Organization',
    id: org.id,
    meta: { profile: [`${PROFILE_BASE}/Organization`] },
    active: true,
    identifier: [{ use: 'official', system: `http://sys-ids.kemkes.go.id/organization/${org.id}`, value: org.id }],
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov', display: 'Healthcare Provider' }] }],
    name: org.name,
  };
}

function personResource(type: 'Patient' | 'Practitioner', person: SandboxPerson, ihsSystem: string): FhirJson & { id: string } {
  const resource: FhirJson & { id: string } = {
    resourceType: type,
    id: person.ihsNumber,
    meta: { profile: [`${PROFILE_BASE}/${type}`] },
    active: true,
    identifier: [
      { use: 'official', system: ihsSystem, value: person.ihsNumber },
      { use: 'official', system: NIK_SYSTEM, value: person.nik },
    ],
    name: [{ use: 'official', text: person.name }],
    gender: person.gender,
  };
  if (person.birthDate !== undefined) resource.birthDate = person.birthDate;
  return resource;
}
