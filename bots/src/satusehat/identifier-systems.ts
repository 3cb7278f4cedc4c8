import type { Identifier } from '@medplum/fhirtypes';

/** Identifier and code systems SATUSEHAT uses (shared/SATUSEHAT.md §3, §4) and the ones we write back. */
export const NIK_SYSTEM = 'https://fhir.kemkes.go.id/id/nik';
export const IHS_NUMBER_SYSTEM = 'https://fhir.kemkes.go.id/id/ihs-number';
/** Practitioners' IHS numbers as the platform's own Practitioner resources carry them. */
export const NAKES_IHS_NUMBER_SYSTEM = 'https://fhir.kemkes.go.id/id/nakes-his-number';
export const V2_0203_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
export const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';
export const AE_TITLE_SYSTEM = 'http://sys-ids.kemkes.go.id/ae-title';
export const RFC_3986_SYSTEM = 'urn:ietf:rfc:3986';

/**
 * Where the hub keeps the id SATUSEHAT gave a resource: an identifier on the LOCAL resource with
 * system `https://simpul.dev/fhir/NamingSystem/satusehat-id/<ResourceType>` and the remote id as value
 * (a Patient's remote id is its IHS number, kept under `IHS_NUMBER_SYSTEM` instead).
 */
export const REMOTE_ID_SYSTEM_BASE = 'https://simpul.dev/fhir/NamingSystem/satusehat-id/';

export function remoteIdSystem(resourceType: string): string {
  return `${REMOTE_ID_SYSTEM_BASE}${resourceType}`;
}

/** `http://sys-ids.kemkes.go.id/acsn/{orgId}`: the system the official router searches accessions in. */
export function accessionSystem(organizationId: string): string {
  return `http://sys-ids.kemkes.go.id/acsn/${organizationId}`;
}

export function serviceRequestSystem(organizationId: string): string {
  return `http://sys-ids.kemkes.go.id/servicerequest/${organizationId}`;
}

export function isAccessionIdentifier(identifier: Identifier): boolean {
  return identifier.type?.coding?.some((coding) => coding.system === V2_0203_SYSTEM && coding.code === 'ACSN') === true;
}

/** The local accession number: the first identifier of type ACSN (v2-0203) with a value. */
export function accessionOf(resource: { identifier?: Identifier[] }): string | undefined {
  return resource.identifier?.find((identifier) => isAccessionIdentifier(identifier) && identifier.value?.trim())?.value?.trim();
}

export function identifierValue(resource: { identifier?: Identifier[] }, ...systems: string[]): string | undefined {
  return resource.identifier?.find((identifier) => identifier.system !== undefined && systems.includes(identifier.system) && identifier.value?.trim())?.value?.trim();
}

/** The SATUSEHAT accession identifier (§4) for an ImagingStudy or a ServiceRequest. */
export function satusehatAccessionIdentifier(organizationId: string, accession: string): Identifier {
  return {
    use: 'usual',
    type: { coding: [{ system: V2_0203_SYSTEM, code: 'ACSN' }] },
    system: accessionSystem(organizationId),
    value: accession,
  };
}

/** A NIK without the first 12 digits, for messages: a NIK is personal data. */
export function maskedNik(nik: string): string {
  return `…${nik.slice(-4)}`;
}
