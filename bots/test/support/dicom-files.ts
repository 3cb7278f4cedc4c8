import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ImagingStudy } from '@medplum/fhirtypes';
import dimse from 'dcmjs-dimse';

/**
 * Small valid DICOM Part 10 files in a test blob store (`<storageDir>/dicom/<study>/<series>/<sop>.dcm`),
 * written by dcmjs-dimse in Explicit or Implicit VR Little Endian and compressed by Debian's dcmtk
 * (an independent encoder) for the compressed syntaxes, plus the ImagingStudy that lists them.
 */

const run = promisify(execFile);

export const TEST_SYNTAXES = {
  ele: '1.2.840.10008.1.2.1',
  ile: '1.2.840.10008.1.2',
  rle: '1.2.840.10008.1.2.5',
  'jpeg-lossless': '1.2.840.10008.1.2.4.70',
} as const;

export type TestSyntax = keyof typeof TEST_SYNTAXES;

/** dcmtk converters for the compressed syntaxes (lossless, so the SOP Instance UID is kept). */
const COMPRESSORS: Partial<Record<TestSyntax, readonly string[]>> = {
  rle: ['dcmcrle'],
  'jpeg-lossless': ['dcmcjpeg', '+e1'],
};

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';

export interface TestInstance {
  readonly studyUid: string;
  readonly seriesUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly path: string;
}

/** A fresh UUID-derived UID (PS3.5 B.2). */
export function testUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString()}`;
}

export interface WriteInstanceOptions {
  readonly studyUid: string;
  readonly seriesUid: string;
  readonly syntax?: TestSyntax;
  readonly sopInstanceUid?: string;
  readonly sopClassUid?: string;
}

/** Writes a 32×32 signed 16-bit CT slice with a gradient (or another SOP class with the same pixels). */
export async function writeTestInstance(storageDir: string, options: WriteInstanceOptions): Promise<TestInstance> {
  const syntax = options.syntax ?? 'ele';
  const sopInstanceUid = options.sopInstanceUid ?? testUid();
  const sopClassUid = options.sopClassUid ?? CT_IMAGE_STORAGE;
  const path = join(storageDir, 'dicom', options.studyUid, options.seriesUid, `${sopInstanceUid}.dcm`);
  await mkdir(dirname(path), { recursive: true });
  const rows = 32;
  const columns = 32;
  const pixels = new Int16Array(rows * columns).map((_, index) => (index % columns) * 40 - 200);
  const elements = {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    StudyInstanceUID: options.studyUid,
    SeriesInstanceUID: options.seriesUid,
    Modality: 'CT',
    PatientID: 'RM-PACS-1',
    PatientName: 'Santoso^Budi',
    StudyDate: '20240501',
    AccessionNumber: 'ACC-PACS-1',
    SeriesNumber: '1',
    InstanceNumber: '1',
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleIntercept: '0',
    RescaleSlope: '1',
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
  };
  const compressor = COMPRESSORS[syntax];
  const written = compressor ? `${path}.uncompressed` : path;
  new dimse.Dataset(elements, syntax === 'ile' ? TEST_SYNTAXES.ile : TEST_SYNTAXES.ele).toFile(written);
  if (compressor) {
    const [tool, ...flags] = compressor;
    await run(tool, [...flags, written, path]);
    await rm(written);
  }
  return { studyUid: options.studyUid, seriesUid: options.seriesUid, sopInstanceUid, sopClassUid, transferSyntaxUid: TEST_SYNTAXES[syntax], path };
}

/** The ImagingStudy the hub would hold for these instances (one series entry per series UID). */
export function imagingStudyOf(instances: readonly TestInstance[], id = 'study-1'): ImagingStudy {
  const studyUid = instances[0]?.studyUid ?? testUid();
  const series = new Map<string, TestInstance[]>();
  for (const instance of instances) series.set(instance.seriesUid, [...(series.get(instance.seriesUid) ?? []), instance]);
  return {
    resourceType: 'ImagingStudy',
    id,
    status: 'available',
    subject: { reference: 'Patient/p1' },
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` }],
    series: [...series.entries()].map(([uid, members]) => ({
      uid,
      modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
      instance: members.map((member) => ({ uid: member.sopInstanceUid, sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${member.sopClassUid}` } })),
    })),
  };
}
