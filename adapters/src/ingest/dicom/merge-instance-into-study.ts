import type {
  Coding,
  Identifier,
  ImagingStudy,
  ImagingStudySeries,
  ImagingStudySeriesInstance,
  Patient,
  Reference,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { withReceivedFrom, type ReceivedFrom } from '@simpul/infra';
import type { InstanceMetadata } from '../../dicom/data/instance-metadata.ts';
import { bodySiteCoding } from './body-site-codings.ts';
import {
  DICOM_DCM_SYSTEM,
  DICOM_UID_SYSTEM,
  accessionIdentifier,
  isAccessionIdentifier,
  lateralityCoding,
  modalityCoding,
  sopClassCoding,
  studyUidIdentifier,
} from './dicom-codings.ts';
import { DicomIngestError } from './dicom-ingest-error.ts';

export interface StudyMergeContext {
  /** The patient: `Patient/<id>`, or the urn:uuid of the Patient entry of the same transaction. */
  readonly subject: Reference<Patient>;
  /** The ServiceRequest with the instance's accession number, when one exists. */
  readonly basedOn?: Reference<ServiceRequest>;
  /** Identifier system of accession numbers at the sending facility (configuration). */
  readonly accessionSystem: string;
  /** The arrival path (calling and called AE titles), kept as a `received-from` extension. */
  readonly receivedFrom?: ReceivedFrom;
}

/**
 * Adds one instance to the ImagingStudy of its Study Instance UID, or starts that study. Pure, and a
 * join in the lattice sense: adding an instance twice changes nothing, and any arrival order of a study's
 * instances gives the same study. That is what lets the ingest worker retry a read-modify-write that lost
 * an If-Match race by simply merging again into the newer version.
 *
 * Where instances of one study disagree on a study or series attribute (a conforming modality never
 * does), the smallest value wins: the earliest time, the lowest number, the first text in code-point
 * order. Series are sorted by number then UID, instances likewise; counts are recomputed. Everything the
 * study carries that this function does not own (extensions such as previews, identifiers written back by
 * SATUSEHAT, notes, status set by a person) is kept.
 */
export function mergeInstanceIntoStudy(existing: ImagingStudy | undefined, instance: InstanceMetadata, context: StudyMergeContext): ImagingStudy {
  const uidIdentifier = studyUidIdentifier(instance.studyInstanceUid);
  if (existing) {
    assertSameStudy(existing, uidIdentifier);
    assertSameSubject(existing, context.subject);
  }
  const base: ImagingStudy = existing ? structuredClone(existing) : { resourceType: 'ImagingStudy', status: 'available', subject: context.subject };
  const series = mergeSeries(base.series ?? [], instance);
  // The DCM modalities are those of the series; codings in other systems were put there by someone else.
  const foreignModalities = (base.modality ?? []).filter((coding) => coding.system !== DICOM_DCM_SYSTEM);
  const studyModalities = uniqueCodings([...series.map((s) => s.modality), ...foreignModalities]);
  const basedOn = uniqueReferences([...(base.basedOn ?? []), ...(context.basedOn ? [context.basedOn] : [])]);
  return compact({
    ...base,
    identifier: mergeIdentifiers(base.identifier ?? [], uidIdentifier, instance.study.accessionNumber, context.accessionSystem),
    // A study a person marked cancelled or entered-in-error stays so; anything else with images is available.
    status: base.status === 'cancelled' || base.status === 'entered-in-error' ? base.status : 'available',
    modality: studyModalities,
    subject: base.subject ?? context.subject,
    basedOn: basedOn.length > 0 ? basedOn : undefined,
    started: earliestDateTime(base.started, instance.study.started),
    numberOfSeries: series.length,
    numberOfInstances: series.reduce((sum, s) => sum + (s.instance?.length ?? 0), 0),
    description: smallestText(base.description, instance.study.description),
    extension: context.receivedFrom ? withReceivedFrom(base.extension, context.receivedFrom) : base.extension,
    series,
  });
}

function assertSameStudy(existing: ImagingStudy, uidIdentifier: Identifier): void {
  const existingUid = existing.identifier?.find((identifier) => identifier.system === DICOM_UID_SYSTEM)?.value;
  if (existingUid !== undefined && existingUid !== uidIdentifier.value) {
    throw new DicomIngestError('study-uid-mismatch', `the study is ${existingUid}, the instance belongs to ${uidIdentifier.value}`);
  }
}

function assertSameSubject(existing: ImagingStudy, subject: Reference<Patient>): void {
  const current = existing.subject?.reference;
  if (current !== undefined && current !== subject.reference) {
    throw new DicomIngestError('subject-mismatch', `the study belongs to ${current}, the instance to ${subject.reference ?? 'an unnamed subject'}`);
  }
}

/** Study UID first, accession numbers next (sorted), then identifiers others added, in their order. */
function mergeIdentifiers(
  current: Identifier[],
  uidIdentifier: Identifier,
  accessionNumber: string | undefined,
  accessionSystem: string,
): Identifier[] {
  const isAccession = (identifier: Identifier) => isAccessionIdentifier(identifier, accessionSystem);
  const isOurs = (identifier: Identifier) => identifier.system === DICOM_UID_SYSTEM || isAccession(identifier);
  const accessions = new Set(current.filter(isAccession).map((identifier) => identifier.value ?? ''));
  if (accessionNumber) {
    accessions.add(accessionNumber);
  }
  accessions.delete('');
  return [
    uidIdentifier,
    ...[...accessions].sort(compareText).map((value) => accessionIdentifier(value, accessionSystem)),
    ...current.filter((identifier) => !isOurs(identifier)),
  ];
}

function mergeSeries(current: ImagingStudySeries[], instance: InstanceMetadata): ImagingStudySeries[] {
  const existing = current.find((series) => series.uid === instance.seriesInstanceUid);
  const others = current.filter((series) => series !== existing);
  const incomingModality = instance.series.modality ? modalityCoding(instance.series.modality) : undefined;
  const modality = smallestCoding(existing?.modality, incomingModality) ?? modalityCoding(undefined);
  const instances = mergeInstance(existing?.instance ?? [], instance);
  const merged: ImagingStudySeries = compact({
    ...existing,
    uid: instance.seriesInstanceUid,
    number: smallestNumber(existing?.number, instance.series.number),
    modality,
    description: smallestText(existing?.description, instance.series.description),
    numberOfInstances: instances.length,
    bodySite: smallestCoding(existing?.bodySite, bodySiteCoding(instance.series.bodyPartExamined)),
    laterality: smallestCoding(existing?.laterality, lateralityCoding(instance.series.laterality)),
    started: earliestDateTime(existing?.started, instance.series.started),
    instance: instances,
  });
  return [...others, merged].sort(byNumberThenUid);
}

function mergeInstance(current: ImagingStudySeriesInstance[], instance: InstanceMetadata): ImagingStudySeriesInstance[] {
  const existing = current.find((item) => item.uid === instance.sopInstanceUid);
  const others = current.filter((item) => item !== existing);
  const title = instance.instance.imageType?.join('\\');
  const merged: ImagingStudySeriesInstance = compact({
    ...existing,
    uid: instance.sopInstanceUid,
    sopClass: smallestCoding(existing?.sopClass, sopClassCoding(instance.sopClassUid)) ?? sopClassCoding(instance.sopClassUid),
    number: smallestNumber(existing?.number, instance.instance.number),
    title: smallestText(existing?.title, title),
  });
  return [...others, merged].sort(byNumberThenUid);
}

function byNumberThenUid(a: { number?: number; uid: string }, b: { number?: number; uid: string }): number {
  if (a.number !== b.number) {
    if (a.number === undefined) {
      return 1;
    }
    if (b.number === undefined) {
      return -1;
    }
    return a.number - b.number;
  }
  return compareText(a.uid, b.uid);
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function smallestText(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : compareText(a, b) <= 0 ? a : b;
}

function smallestNumber(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function codingKey(coding: Coding): string {
  return `${coding.system ?? ''}|${coding.code ?? ''}|${coding.display ?? ''}`;
}

function smallestCoding(a: Coding | undefined, b: Coding | undefined): Coding | undefined {
  return a === undefined ? b : b === undefined ? a : compareText(codingKey(a), codingKey(b)) <= 0 ? a : b;
}

function uniqueCodings(codings: Coding[]): Coding[] {
  const byKey = new Map<string, Coding>();
  for (const coding of codings) {
    const key = `${coding.system ?? ''}|${coding.code ?? ''}`;
    const known = byKey.get(key);
    byKey.set(key, known ? (smallestCoding(known, coding) as Coding) : coding);
  }
  return [...byKey.entries()].sort(([a], [b]) => compareText(a, b)).map(([, coding]) => coding);
}

function uniqueReferences<T extends Reference>(references: T[]): T[] {
  const byReference = new Map<string, T>();
  for (const reference of references) {
    const key = reference.reference ?? JSON.stringify(reference);
    if (!byReference.has(key)) {
      byReference.set(key, reference);
    }
  }
  return [...byReference.entries()].sort(([a], [b]) => compareText(a, b)).map(([, reference]) => reference);
}

/** The earlier of two FHIR dateTimes; one with a time beats a bare date (it says more). */
function earliestDateTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || b === undefined) {
    return a ?? b;
  }
  const hasTime = (value: string) => value.includes('T');
  if (hasTime(a) !== hasTime(b)) {
    return hasTime(a) ? a : b;
  }
  const difference = Date.parse(a) - Date.parse(b);
  if (Number.isFinite(difference) && difference !== 0) {
    return difference < 0 ? a : b;
  }
  return compareText(a, b) <= 0 ? a : b;
}

/** Drops undefined members so merged resources compare and serialise cleanly. */
function compact<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}
