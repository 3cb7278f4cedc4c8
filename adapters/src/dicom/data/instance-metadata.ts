import type { NaturalizedDataset } from 'dcmjs';
import { assertValidTimeZone, dicomDateTimeToFhir, dicomDateToFhirDate } from './dicom-date-time.ts';
import { DicomParseError } from './dicom-parse-error.ts';
import type { ParsedDicom } from './parse-dicom-file.ts';
import { parsePersonName } from './person-name.ts';
import type { PersonName } from './person-name.ts';

export type AdministrativeSex = 'male' | 'female' | 'other' | 'unknown';

/** What Simpul keeps about one DICOM instance: plain JSON, safe to put in a bus message or a log line. */
export interface InstanceMetadata {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly patient: {
    readonly id?: string;
    /** Issuer of Patient ID (0010,0021): the assigning authority of `id`. */
    readonly issuer?: string;
    readonly name?: PersonName;
    /** FHIR date. */
    readonly birthDate?: string;
    readonly sex?: AdministrativeSex;
  };
  readonly study: {
    readonly accessionNumber?: string;
    /** FHIR dateTime from Study Date + Study Time. */
    readonly started?: string;
    readonly description?: string;
    readonly studyId?: string;
    readonly referringPhysician?: PersonName;
  };
  readonly series: {
    readonly modality?: string;
    readonly number?: number;
    readonly description?: string;
    /** FHIR dateTime from Series Date + Series Time. */
    readonly started?: string;
    /** Body Part Examined (0018,0015), upper case as sent. */
    readonly bodyPartExamined?: string;
    /** R, L, B or U: Laterality (0020,0060), else Image Laterality (0020,0062). */
    readonly laterality?: string;
  };
  readonly instance: {
    readonly number?: number;
    readonly imageType?: string[];
    readonly rows?: number;
    readonly columns?: number;
    readonly numberOfFrames?: number;
  };
  readonly equipment: {
    /** Source Application Entity Title (0002,0016) of the file meta group. */
    readonly sourceAeTitle?: string;
    readonly stationName?: string;
    readonly institutionName?: string;
    readonly manufacturer?: string;
    readonly modelName?: string;
  };
  /** Values that were present but unusable and were left out, each naming the attribute. */
  readonly warnings: string[];
}

export interface ExtractOptions {
  /**
   * Zone for dates and times when the object has no Timezone Offset From UTC (0008,0201): an IANA name
   * ("Asia/Jakarta") or a fixed offset ("+07:00"). Without one, times without an offset are dropped
   * (FHIR needs a zone with a time) and only the date is kept.
   */
  readonly defaultTimeZone?: string;
}

const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

/** Summarises a parsed instance. Throws DicomParseError when a UID Simpul needs is missing or unusable. */
export function extractInstanceMetadata(parsed: ParsedDicom, options: ExtractOptions = {}): InstanceMetadata {
  if (options.defaultTimeZone !== undefined) {
    assertValidTimeZone(options.defaultTimeZone);
  }
  const ds = parsed.dataset;
  const meta = parsed.meta;
  const warnings: string[] = [];
  const timezone = text(ds, 'TimezoneOffsetFromUTC');
  const dateTime = (dateKey: string, timeKey: string) => {
    const result = dicomDateTimeToFhir(text(ds, dateKey), text(ds, timeKey), timezone, options.defaultTimeZone);
    if (result.warning) {
      warnings.push(`${dateKey}/${timeKey}: ${result.warning}`);
    }
    return result.value;
  };
  const integer = (key: string) => {
    const value = first(ds, key);
    if (value === undefined || value === null || value === '') {
      return undefined;
    }
    const number = Number(value);
    if (!Number.isInteger(number)) {
      warnings.push(`${key}: ignored non-integer value ${JSON.stringify(value)}`);
      return undefined;
    }
    return number;
  };
  const birthDateText = text(ds, 'PatientBirthDate');
  const birthDate = dicomDateToFhirDate(birthDateText);
  if (birthDateText && !birthDate) {
    warnings.push(`PatientBirthDate: ignored invalid date ${JSON.stringify(birthDateText)}`);
  }

  return {
    studyInstanceUid: requiredUid(text(ds, 'StudyInstanceUID'), 'StudyInstanceUID (0020,000D)', warnings),
    seriesInstanceUid: requiredUid(text(ds, 'SeriesInstanceUID'), 'SeriesInstanceUID (0020,000E)', warnings),
    // The file meta group repeats the SOP UIDs; it is the fallback when a sender left them out of the data set.
    sopInstanceUid: requiredUid(text(ds, 'SOPInstanceUID') ?? text(meta, 'MediaStorageSOPInstanceUID'), 'SOPInstanceUID (0008,0018)', warnings),
    sopClassUid: requiredUid(text(ds, 'SOPClassUID') ?? text(meta, 'MediaStorageSOPClassUID'), 'SOPClassUID (0008,0016)', warnings),
    transferSyntaxUid: parsed.transferSyntaxUid,
    patient: compact({
      id: text(ds, 'PatientID'),
      issuer: text(ds, 'IssuerOfPatientID'),
      name: parsePersonName(ds.PatientName),
      birthDate,
      sex: sexOf(text(ds, 'PatientSex')),
    }),
    study: compact({
      accessionNumber: text(ds, 'AccessionNumber'),
      started: dateTime('StudyDate', 'StudyTime'),
      description: text(ds, 'StudyDescription'),
      studyId: text(ds, 'StudyID'),
      referringPhysician: parsePersonName(ds.ReferringPhysicianName),
    }),
    series: compact({
      modality: text(ds, 'Modality')?.toUpperCase(),
      number: integer('SeriesNumber'),
      description: text(ds, 'SeriesDescription'),
      started: dateTime('SeriesDate', 'SeriesTime'),
      bodyPartExamined: text(ds, 'BodyPartExamined')?.toUpperCase(),
      laterality: (text(ds, 'Laterality') ?? text(ds, 'ImageLaterality'))?.toUpperCase(),
    }),
    instance: compact({
      number: integer('InstanceNumber'),
      imageType: texts(ds, 'ImageType'),
      rows: integer('Rows'),
      columns: integer('Columns'),
      numberOfFrames: integer('NumberOfFrames'),
    }),
    equipment: compact({
      sourceAeTitle: text(meta, 'SourceApplicationEntityTitle'),
      stationName: text(ds, 'StationName'),
      institutionName: text(ds, 'InstitutionName'),
      manufacturer: text(ds, 'Manufacturer'),
      modelName: text(ds, 'ManufacturerModelName'),
    }),
    warnings,
  };
}

/** `attribute` is "Keyword (gggg,eeee)". */
function requiredUid(value: string | undefined, attribute: string, warnings: string[]): string {
  const tag = attribute.slice(attribute.indexOf('('));
  const uid = value?.replace(/\0/g, '');
  if (!uid) {
    throw new DicomParseError('missing-attribute', `${attribute} is missing or empty`, { tag });
  }
  if (!UID_PATTERN.test(uid)) {
    throw new DicomParseError('invalid-attribute', `${attribute} is not a UID: ${JSON.stringify(uid.slice(0, 80))}`, { tag });
  }
  if (uid.length > 64) {
    warnings.push(`${attribute}: the UID is ${uid.length} characters long (DICOM allows 64)`);
  }
  return uid;
}

function first(ds: NaturalizedDataset, key: string): unknown {
  const value = ds[key];
  return Array.isArray(value) ? value[0] : value;
}

/** The first value as trimmed text; undefined when absent or blank. */
function text(ds: NaturalizedDataset, key: string): string | undefined {
  const value = first(ds, key);
  if (typeof value !== 'string' && typeof value !== 'number') {
    return undefined;
  }
  const trimmed = String(value).replace(/\0+$/, '').trim();
  return trimmed === '' ? undefined : trimmed;
}

function texts(ds: NaturalizedDataset, key: string): string[] | undefined {
  const value = ds[key];
  const values = (Array.isArray(value) ? value : value === undefined ? [] : [value])
    .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
    .map((v) => String(v).trim());
  return values.some((v) => v !== '') ? values : undefined;
}

function sexOf(value: string | undefined): AdministrativeSex | undefined {
  switch (value?.toUpperCase()) {
    case undefined:
      return undefined;
    case 'M':
      return 'male';
    case 'F':
      return 'female';
    case 'O':
      return 'other';
    default:
      return 'unknown';
  }
}

/** Drops undefined members so the summary serialises without holes and compares cleanly. */
function compact<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}
