import { describe, expect, it } from 'vitest';
import type { NaturalizedDataset } from 'dcmjs';
import { DicomParseError } from './dicom-parse-error.ts';
import { extractInstanceMetadata } from './instance-metadata.ts';
import { parseDicomFile } from './parse-dicom-file.ts';
import { writeDicomFile } from './write-dicom-file.ts';

const STUDY = '1.2.360.123.1.1';
const SERIES = '1.2.360.123.1.1.2';
const SOP = '1.2.360.123.1.1.2.3';

function dataset(overrides: NaturalizedDataset = {}): NaturalizedDataset {
  return {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    SOPInstanceUID: SOP,
    StudyInstanceUID: STUDY,
    SeriesInstanceUID: SERIES,
    StudyDate: '20250909',
    StudyTime: '141730.250',
    SeriesDate: '20250909',
    SeriesTime: '1418',
    TimezoneOffsetFromUTC: '+0700',
    AccessionNumber: 'ACC-00403',
    Modality: 'ct',
    Manufacturer: 'SIEMENS',
    ManufacturerModelName: 'SOMATOM go.Up',
    InstitutionName: 'RSUD Sleman',
    StationName: 'CT01',
    ReferringPhysicianName: [{ Alphabetic: 'Wijaya^Rina^^dr.^Sp.PD' }],
    StudyDescription: 'CT THORAX KONTRAS',
    SeriesDescription: 'Thorax 1.0 B31f',
    PatientName: [{ Alphabetic: 'Sukarno' }],
    PatientID: '3404012345678901',
    IssuerOfPatientID: 'NIK',
    PatientBirthDate: '19450817',
    PatientSex: 'M',
    BodyPartExamined: 'chest',
    Laterality: '',
    ImageLaterality: 'L',
    StudyID: '7781',
    SeriesNumber: 2,
    InstanceNumber: 17,
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    Rows: 512,
    Columns: 512,
    NumberOfFrames: 1,
    ...overrides,
  };
}

const parse = (values: NaturalizedDataset) => parseDicomFile(writeDicomFile(values, { sourceAeTitle: 'CT01_RSUD' }));

describe('extractInstanceMetadata', () => {
  it('summarises an instance as plain JSON', () => {
    const metadata = extractInstanceMetadata(parse(dataset()), { defaultTimeZone: 'UTC' });
    expect(metadata).toEqual({
      studyInstanceUid: STUDY,
      seriesInstanceUid: SERIES,
      sopInstanceUid: SOP,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      patient: { id: '3404012345678901', issuer: 'NIK', name: { text: 'Sukarno' }, birthDate: '1945-08-17', sex: 'male' },
      study: {
        accessionNumber: 'ACC-00403',
        started: '2025-09-09T14:17:30.250+07:00',
        description: 'CT THORAX KONTRAS',
        studyId: '7781',
        referringPhysician: { text: 'dr. Rina Wijaya Sp.PD', family: 'Wijaya', given: ['Rina'], prefix: ['dr.'], suffix: ['Sp.PD'] },
      },
      series: { modality: 'CT', number: 2, description: 'Thorax 1.0 B31f', started: '2025-09-09T14:18:00+07:00', bodyPartExamined: 'CHEST', laterality: 'L' },
      instance: { number: 17, imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'], rows: 512, columns: 512, numberOfFrames: 1 },
      equipment: { sourceAeTitle: 'CT01_RSUD', stationName: 'CT01', institutionName: 'RSUD Sleman', manufacturer: 'SIEMENS', modelName: 'SOMATOM go.Up' },
      warnings: [],
    });
    expect(JSON.parse(JSON.stringify(metadata))).toEqual(metadata);
  });

  it('uses the configured zone when the object has no offset, and only the date when there is none', () => {
    const withoutOffset = parse(dataset({ TimezoneOffsetFromUTC: undefined }));
    expect(extractInstanceMetadata(withoutOffset, { defaultTimeZone: 'Asia/Jakarta' }).study.started).toBe('2025-09-09T14:17:30.250+07:00');
    const unzoned = extractInstanceMetadata(withoutOffset);
    expect(unzoned.study.started).toBe('2025-09-09');
    expect(unzoned.warnings).toContain('StudyDate/StudyTime: no time zone in the object and none configured: the time was dropped');
  });

  it('rejects an invalid configured zone', () => {
    expect(() => extractInstanceMetadata(parse(dataset()), { defaultTimeZone: 'Jakarta' })).toThrow(RangeError);
  });

  it('leaves out unusable values and lists them', () => {
    const parsed = parse(dataset({ PatientBirthDate: '19451317', PatientSex: 'X' }));
    // dcmjs reads an IS of "1.5" as the number 1.5 (and writes none), so the value is put in directly.
    const metadata = extractInstanceMetadata({ ...parsed, dataset: { ...parsed.dataset, InstanceNumber: 1.5, SeriesNumber: null } });
    expect(metadata.series.number).toBeUndefined();
    expect(metadata.patient.birthDate).toBeUndefined();
    expect(metadata.patient.sex).toBe('unknown');
    expect(metadata.instance.number).toBeUndefined();
    expect(metadata.warnings).toEqual(expect.arrayContaining(['PatientBirthDate: ignored invalid date "19451317"', 'InstanceNumber: ignored non-integer value 1.5']));
  });

  it('leaves absent attributes out rather than setting them undefined', () => {
    const minimal = { SOPClassUID: '1.2.840.10008.5.1.4.1.1.7', SOPInstanceUID: SOP, StudyInstanceUID: STUDY, SeriesInstanceUID: SERIES };
    const metadata = extractInstanceMetadata(parse(minimal));
    expect(metadata.patient).toEqual({});
    expect(Object.keys(metadata.study)).toEqual([]);
    expect(metadata.series).toEqual({});
  });

  it('takes the SOP UIDs from the file meta group when the data set lacks them', () => {
    const { SOPInstanceUID: _sop, SOPClassUID: _class, ...rest } = dataset();
    const file = writeDicomFile({ ...rest, SOPInstanceUID: SOP, SOPClassUID: '1.2.840.10008.5.1.4.1.1.2' });
    const parsed = parseDicomFile(file);
    const stripped = { ...parsed, dataset: { ...parsed.dataset, SOPInstanceUID: undefined, SOPClassUID: undefined } };
    expect(extractInstanceMetadata(stripped)).toMatchObject({ sopInstanceUid: SOP, sopClassUid: '1.2.840.10008.5.1.4.1.1.2' });
  });

  it('throws DicomParseError naming a missing or malformed UID', () => {
    const missing = (() => {
      try {
        extractInstanceMetadata(parse(dataset({ StudyInstanceUID: '' })));
      } catch (error) {
        return error as DicomParseError;
      }
    })();
    expect(missing).toBeInstanceOf(DicomParseError);
    expect(missing).toMatchObject({ reason: 'missing-attribute', tag: '(0020,000D)', message: 'StudyInstanceUID (0020,000D) is missing or empty' });
    // dcmjs drops characters a UID cannot have, so "1.2.abc" reaches us as "1.2.".
    expect(() => extractInstanceMetadata(parse(dataset({ SeriesInstanceUID: '1.2.abc' })))).toThrow(/SeriesInstanceUID \(0020,000E\) is not a UID: "1\.2\."/);
  });
});
