import dcmjs from 'dcmjs';
import type { NaturalizedDataset } from 'dcmjs';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntaxes.ts';

/** Simpul's Implementation Class UID (a UUID-derived 2.25 UID, PS3.5 B.2). */
export const SIMPUL_IMPLEMENTATION_CLASS_UID = '2.25.232474750074115960446976273696352228055';

export interface WriteDicomOptions {
  /** Implicit or explicit VR little endian (dcmjs writes no other syntax); explicit by default. */
  readonly transferSyntaxUid?: typeof EXPLICIT_VR_LITTLE_ENDIAN | typeof IMPLICIT_VR_LITTLE_ENDIAN;
  readonly sourceAeTitle?: string;
}

/**
 * Writes a naturalized data set (keys are keywords, as `parseDicomFile` returns them) as a DICOM Part 10
 * file with a file meta group built from its SOP Class and SOP Instance UIDs.
 */
export function writeDicomFile(dataset: NaturalizedDataset, options: WriteDicomOptions = {}): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta: NaturalizedDataset = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: options.transferSyntaxUid ?? EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: SIMPUL_IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'SIMPUL',
    ...(options.sourceAeTitle ? { SourceApplicationEntityTitle: options.sourceAeTitle } : {}),
  };
  const dicomDict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dicomDict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dicomDict.write());
}
