import { TerminologyError, terminologyError } from './errors.ts';

/**
 * The SATUSEHAT (Kemenkes) systems a radiology integration uses (shared/SATUSEHAT.md §4).
 * Identifier systems are per organization (`{orgId}` is the SATUSEHAT Organization id); code
 * systems are fixed URLs. The starter content ships CodeSystem placeholders for the code systems
 * whose lists are not public or too long to ship (KPTL, KFA, AE title).
 */
export const SATUSEHAT_CODE_SYSTEMS = {
  /** Procedure codes (KPTL), e.g. `31243.NP001.AP005`; placeholder in the starter content. */
  kptl: 'http://terminology.kemkes.go.id/CodeSystem/kptl',
  /** Drug/contrast agent codes (KFA), used in ServiceRequest.orderDetail. */
  kfa: 'http://sys-ids.kemkes.go.id/kfa',
  /** AE title of the target modality; the value goes in `display`, not `code`. */
  aeTitle: 'http://sys-ids.kemkes.go.id/ae-title',
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  diagnosticServiceSection: 'http://terminology.hl7.org/CodeSystem/v2-0074',
} as const;

export const SATUSEHAT_PATIENT_IDENTIFIER_SYSTEMS = {
  nik: 'https://fhir.kemkes.go.id/id/nik',
  ihsNumber: 'https://fhir.kemkes.go.id/id/ihs-number',
} as const;

export interface SatusehatIdentifierSystems {
  /** Accession number (the router's `acsn/{orgId}`, not the docs' `accessionno`). */
  acsn: string;
  /** Local ServiceRequest number. */
  serviceRequest: string;
  /** Medical record number. */
  mrn: string;
  location: string;
  encounter: string;
}

/** SATUSEHAT Organization ids are digits (e.g. `10000004`); nothing that could break a URL. */
const ORGANIZATION_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The per-organization identifier systems for one SATUSEHAT Organization id. */
export function satusehatIdentifierSystems(organizationId: string): SatusehatIdentifierSystems {
  if (!ORGANIZATION_ID.test(organizationId)) {
    throw terminologyError(
      TerminologyError.INVALID_PARAMETER,
      `SATUSEHAT organization id ${JSON.stringify(organizationId)} must be 1-64 letters, digits or dashes`,
      'organizationId',
    );
  }
  const base = 'http://sys-ids.kemkes.go.id';
  return {
    acsn: `${base}/acsn/${organizationId}`,
    serviceRequest: `${base}/servicerequest/${organizationId}`,
    mrn: `${base}/mrn/${organizationId}`,
    location: `${base}/location/${organizationId}`,
    encounter: `${base}/encounter/${organizationId}`,
  };
}
