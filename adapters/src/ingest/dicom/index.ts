export { AE_TITLE_SYSTEM, buildDicomIngestBundle, dicomIngestFullUrls, patientIdentifier } from './dicom-ingest-bundle.ts';
export type { DicomIngestContext, PatientIdentifierSystems } from './dicom-ingest-bundle.ts';
export { DicomIngestError } from './dicom-ingest-error.ts';
export type { DicomIngestFailure } from './dicom-ingest-error.ts';
export { mergeInstanceIntoStudy } from './merge-instance-into-study.ts';
export type { StudyMergeContext } from './merge-instance-into-study.ts';
export { PREVIEW_EXTENSION_URL, THUMBNAIL_EXTENSION_URL, setInstancePreview, setSeriesThumbnail } from './preview-extensions.ts';
export { bodySiteCoding } from './body-site-codings.ts';
export { DICOM_DCM_SYSTEM, DICOM_UID_SYSTEM, lateralityCoding, modalityCoding, sopClassCoding, studyUidIdentifier } from './dicom-codings.ts';
