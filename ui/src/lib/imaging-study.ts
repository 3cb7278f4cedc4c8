import type { Extension, HumanName, ImagingStudy, ImagingStudySeries, Patient, Reference } from '@medplum/fhirtypes';
import { ACSN_TYPE_SYSTEM, DICOM_UID_SYSTEM, IHS_SYSTEM, NIK_SYSTEM, PREVIEW_EXTENSION_URL, THUMBNAIL_EXTENSION_URL } from './fhir-names.ts';

export interface PreviewInstance {
  uid: string;
  number?: number;
  sopClass?: string;
  /** `Binary/<id>` of the JPEG preview, when the preview worker has made it. */
  preview?: string;
}

function attachmentUrl(extensions: Extension[] | undefined, url: string): string | undefined {
  const found = extensions?.find((extension) => extension.url === url)?.valueAttachment?.url;
  return found && /^Binary\/[A-Za-z0-9\-.]{1,64}$/.test(found) ? found : undefined;
}

export function thumbnailOf(series: ImagingStudySeries): string | undefined {
  return attachmentUrl(series.extension, THUMBNAIL_EXTENSION_URL);
}

/** The study's first thumbnail, else its first instance preview: what the worklist shows inline. */
export function studyThumbnail(study: ImagingStudy): string | undefined {
  for (const series of study.series ?? []) {
    const thumbnail = thumbnailOf(series);
    if (thumbnail) return thumbnail;
  }
  for (const series of study.series ?? []) {
    const preview = previewInstances(series).find((instance) => instance.preview)?.preview;
    if (preview) return preview;
  }
  return undefined;
}

/** The series' instances in instance-number order, each with its preview if any. */
export function previewInstances(series: ImagingStudySeries): PreviewInstance[] {
  return (series.instance ?? [])
    .map((instance) => ({
      uid: instance.uid,
      number: instance.number,
      sopClass: instance.sopClass?.code,
      preview: attachmentUrl(instance.extension, PREVIEW_EXTENSION_URL),
    }))
    .sort((a, b) => (a.number ?? Number.MAX_SAFE_INTEGER) - (b.number ?? Number.MAX_SAFE_INTEGER));
}

export function sortedSeries(study: ImagingStudy): ImagingStudySeries[] {
  return [...(study.series ?? [])].sort((a, b) => (a.number ?? Number.MAX_SAFE_INTEGER) - (b.number ?? Number.MAX_SAFE_INTEGER));
}

export function studyUid(study: ImagingStudy): string | undefined {
  return study.identifier?.find((identifier) => identifier.system === DICOM_UID_SYSTEM)?.value?.replace(/^urn:oid:/, '');
}

export function accessionOf(study: ImagingStudy): string | undefined {
  return study.identifier?.find((identifier) => identifier.type?.coding?.some((coding) => coding.system === ACSN_TYPE_SYSTEM && coding.code === 'ACSN'))?.value;
}

export function modalitiesOf(study: ImagingStudy): string[] {
  const codes = [...(study.modality ?? []).map((coding) => coding.code), ...(study.series ?? []).map((series) => series.modality?.code)];
  return [...new Set(codes.filter((code): code is string => !!code))];
}

export function instanceCount(study: ImagingStudy): number {
  return study.numberOfInstances ?? (study.series ?? []).reduce((sum, series) => sum + (series.instance?.length ?? 0), 0);
}

export function formatName(names: HumanName[] | undefined): string {
  const name = names?.find((candidate) => candidate.use === 'official') ?? names?.[0];
  if (!name) return 'Unnamed patient';
  if (name.text) return name.text;
  const text = [...(name.prefix ?? []), ...(name.given ?? []), name.family, ...(name.suffix ?? [])].filter(Boolean).join(' ');
  return text || 'Unnamed patient';
}

export function identifierValue(patient: Patient | undefined, system: string): string | undefined {
  return patient?.identifier?.find((identifier) => identifier.system === system)?.value;
}

export const nikOf = (patient: Patient | undefined): string | undefined => identifierValue(patient, NIK_SYSTEM);
export const ihsOf = (patient: Patient | undefined): string | undefined => identifierValue(patient, IHS_SYSTEM);

/** `Patient/<id>` → `<id>`; undefined for anything else. */
export function referenceId(reference: Reference | undefined, type: string): string | undefined {
  const match = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(reference?.reference ?? '');
  return match && match[1] === type ? match[2] : undefined;
}

/** A FHIR dateTime shown as local date and time; the raw text when it does not parse. */
export function formatDateTime(value: string | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return value.length <= 10 ? date.toLocaleDateString(undefined, { timeZone: 'UTC' }) : date.toLocaleString();
}
