import type { Coding, Identifier } from '@medplum/fhirtypes';

/** Code systems and the DICOM → FHIR codings the ImagingStudy mapper uses. */

export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
export const DICOM_DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';
export const RFC_3986_SYSTEM = 'urn:ietf:rfc:3986';
export const SNOMED_SYSTEM = 'http://snomed.info/sct';
export const V2_0203_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';

/** ImagingStudy.identifier for a Study Instance UID (DESIGN.md "Identifiers and links"). */
export function studyUidIdentifier(studyInstanceUid: string): Identifier {
  return { use: 'official', system: DICOM_UID_SYSTEM, value: `urn:oid:${studyInstanceUid}` };
}

/** The accession number as an identifier of type ACSN in the facility's system. */
export function accessionIdentifier(accessionNumber: string, accessionSystem: string): Identifier {
  return { use: 'usual', type: { coding: [{ system: V2_0203_SYSTEM, code: 'ACSN' }] }, system: accessionSystem, value: accessionNumber };
}

export function isAccessionIdentifier(identifier: Identifier, accessionSystem: string): boolean {
  const typedAcsn = identifier.type?.coding?.some((coding) => coding.system === V2_0203_SYSTEM && coding.code === 'ACSN') === true;
  return identifier.system === accessionSystem && typedAcsn;
}

/** Code meanings of the modalities (CID 29 and the common others) in the DCM code system. */
const MODALITY_MEANINGS: Readonly<Record<string, string>> = {
  AR: 'Autorefraction',
  BMD: 'Bone Mineral Densitometry',
  CR: 'Computed Radiography',
  CT: 'Computed Tomography',
  DG: 'Diaphanography',
  DX: 'Digital Radiography',
  ECG: 'Electrocardiography',
  EPS: 'Cardiac Electrophysiology',
  ES: 'Endoscopy',
  GM: 'General Microscopy',
  IO: 'Intra-oral Radiography',
  IVUS: 'Intravascular Ultrasound',
  KO: 'Key Object Selection',
  MG: 'Mammography',
  MR: 'Magnetic Resonance',
  NM: 'Nuclear Medicine',
  OCT: 'Optical Coherence Tomography',
  OP: 'Ophthalmic Photography',
  OT: 'Other',
  PR: 'Presentation State',
  PT: 'Positron emission tomography',
  PX: 'Panoramic X-Ray',
  RF: 'Radio Fluoroscopy',
  RG: 'Radiographic imaging',
  SEG: 'Segmentation',
  SM: 'Slide Microscopy',
  SR: 'SR Document',
  US: 'Ultrasound',
  XA: 'X-Ray Angiography',
  XC: 'External-camera Photography',
};

/** Modality as a DCM coding; "OT" (Other) when the object has none, since series.modality is required. */
export function modalityCoding(modality: string | undefined): Coding {
  const code = modality?.trim().toUpperCase() || 'OT';
  const display = MODALITY_MEANINGS[code];
  return display ? { system: DICOM_DCM_SYSTEM, code, display } : { system: DICOM_DCM_SYSTEM, code };
}

/** SOP Class UID as ImagingStudy.series.instance.sopClass. */
export function sopClassCoding(sopClassUid: string): Coding {
  return { system: RFC_3986_SYSTEM, code: `urn:oid:${sopClassUid}` };
}

/** Laterality (0020,0060) / Image Laterality (0020,0062) as SNOMED CT (CID 244); U and unknown values give none. */
export function lateralityCoding(laterality: string | undefined): Coding | undefined {
  switch (laterality?.trim().toUpperCase()) {
    case 'R':
      return { system: SNOMED_SYSTEM, code: '24028007', display: 'Right' };
    case 'L':
      return { system: SNOMED_SYSTEM, code: '7771000', display: 'Left' };
    case 'B':
      return { system: SNOMED_SYSTEM, code: '51440002', display: 'Right and left' };
    default:
      return undefined;
  }
}
