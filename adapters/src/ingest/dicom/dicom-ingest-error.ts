/** Why a DICOM instance could not be turned into FHIR writes. */
export type DicomIngestFailure =
  /** The instance has no Patient ID (0010,0020), so no patient can be linked. */
  | 'missing-patient-id'
  /** Issuer of Patient ID (0010,0021) is not in the configured assigning-authority map. */
  | 'unknown-issuer'
  /** The study passed in carries another Study Instance UID than the instance. */
  | 'study-uid-mismatch'
  /** The study belongs to another patient than the one resolved for this instance. */
  | 'subject-mismatch'
  /** A preview or thumbnail names a series or instance the study does not have (yet). */
  | 'series-not-found'
  | 'instance-not-found';

export class DicomIngestError extends Error {
  readonly reason: DicomIngestFailure;

  constructor(reason: DicomIngestFailure, message: string) {
    super(`${reason}: ${message}`);
    this.name = 'DicomIngestError';
    this.reason = reason;
  }
}
