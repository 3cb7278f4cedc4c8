import { join } from 'node:path';
import type { ImagingStudy } from '@medplum/fhirtypes';
import type { InstanceFile } from './instance-files.ts';

/**
 * The instance files of an ImagingStudy in the blob store: `<storageDir>/dicom/<study>/<series>/<sop>.dcm`,
 * with the study UID from the identifier `urn:dicom:uid` / `urn:oid:<uid>` and the series and instance
 * UIDs from `series[].uid` and `series[].instance[].uid`. Every UID is checked before it becomes part of a
 * path: a resource is input from the hub, and `..` in a "UID" must not reach another file.
 */

export class StudyInstancesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StudyInstancesError';
  }
}

const DICOM_UID_SYSTEM = 'urn:dicom:uid';
/** Digits and dots (leading zeros tolerated: modalities send them, and the blob store keeps what they sent). */
const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

export function studyInstanceUid(study: ImagingStudy): string {
  const identifier = study.identifier?.find((candidate) => candidate.system === DICOM_UID_SYSTEM);
  if (!identifier?.value) {
    throw new StudyInstancesError(`ImagingStudy/${study.id ?? '?'} has no identifier with system ${DICOM_UID_SYSTEM} (the Study Instance UID)`);
  }
  const uid = identifier.value.replace(/^urn:oid:/, '');
  checkUid(uid, `ImagingStudy/${study.id ?? '?'} identifier ${DICOM_UID_SYSTEM}`);
  return uid;
}

/** Every instance the study lists, in series then instance order, each once. */
export function studyInstanceFiles(study: ImagingStudy, storageDir: string): InstanceFile[] {
  const studyUid = studyInstanceUid(study);
  const files: InstanceFile[] = [];
  const seen = new Set<string>();
  (study.series ?? []).forEach((series, seriesIndex) => {
    const seriesUid = series.uid;
    checkUid(seriesUid, `ImagingStudy/${study.id ?? '?'} series[${seriesIndex}].uid`);
    (series.instance ?? []).forEach((instance, instanceIndex) => {
      const sopUid = instance.uid;
      checkUid(sopUid, `ImagingStudy/${study.id ?? '?'} series[${seriesIndex}].instance[${instanceIndex}].uid`);
      if (seen.has(sopUid)) return;
      seen.add(sopUid);
      files.push({ sopInstanceUid: sopUid, path: join(storageDir, 'dicom', studyUid, seriesUid, `${sopUid}.dcm`) });
    });
  });
  return files;
}

function checkUid(value: string | undefined, where: string): asserts value is string {
  if (!value) throw new StudyInstancesError(`${where} is missing`);
  if (value.length > 64 || !UID_PATTERN.test(value)) {
    throw new StudyInstancesError(`${where} is not a DICOM UID (digits and dots, at most 64 characters): "${value.slice(0, 80)}"`);
  }
}
