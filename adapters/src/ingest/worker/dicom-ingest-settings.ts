import type { DicomMappingConfig } from '@simpul/infra';
import type { PatientIdentifierSystems } from '../dicom/index.ts';

/** The identifier systems the DICOM ingest writes with, resolved from `dicom.mapping`. */
export interface DicomIngestSettings {
  readonly patientIdentifierSystems: PatientIdentifierSystems;
  readonly accessionSystem: string;
  /** Where the hub serves WADO-RS: the Endpoint every ImagingStudy points to (`<hub.baseUrl>dicomweb`). */
  readonly dicomWebAddress: string;
  /**
   * `storage.dir`, when this worker can see the blob store: an instance is then ingested only once its
   * file is there whole (the receiver flushes the file and publishes the message at the same time).
   */
  readonly blobStoreDir?: string;
}

const NIK_SYSTEM = 'https://fhir.kemkes.go.id/id/nik';

/**
 * Fills the defaults SATUSEHAT's conventions give (MRN and accession systems derived from the
 * organization id; `NIK` as an issuer). Throws when a Patient ID without an issuer would have no system.
 */
export function resolveDicomIngestSettings(mapping: DicomMappingConfig, hubBaseUrl: string, blobStoreDir?: string): DicomIngestSettings {
  const org = mapping.organizationId ? encodeURIComponent(mapping.organizationId) : undefined;
  const withoutIssuer = mapping.patientIdSystem ?? (org ? `http://sys-ids.kemkes.go.id/mrn/${org}` : undefined);
  const accessionSystem = mapping.accessionSystem ?? (org ? `http://sys-ids.kemkes.go.id/acsn/${org}` : undefined);
  if (!withoutIssuer || !accessionSystem) {
    throw new Error(
      'dicom.mapping needs organizationId, or both patientIdSystem and accessionSystem, before DICOM instances can be ingested',
    );
  }
  return {
    patientIdentifierSystems: { byIssuer: { NIK: NIK_SYSTEM, ...mapping.issuers }, withoutIssuer },
    accessionSystem,
    dicomWebAddress: `${hubBaseUrl.endsWith('/') ? hubBaseUrl : `${hubBaseUrl}/`}dicomweb`,
    ...(blobStoreDir ? { blobStoreDir } : {}),
  };
}
