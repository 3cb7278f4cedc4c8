import type { Coding, ImagingStudy } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';
import { DCM_SYSTEM, DICOM_UID_SYSTEM, RFC_3986_SYSTEM, satusehatAccessionIdentifier } from './identifier-systems.ts';
import { toUtcDateTime } from './utc-date-time.ts';

/** Digits and dots, at most 64 characters (PS3.5 §9.1); also what keeps a UID safe to use in a file path. */
const DICOM_UID = /^[0-9]+(?:\.[0-9]+)*$/;
const SOP_CLASS = /^(?:urn:oid:)?([0-9]+(?:\.[0-9]+)*)$/;

export interface StudyInstance {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
}

/** The Study Instance UID of a local ImagingStudy (`urn:dicom:uid` / `urn:oid:<uid>`), checked. */
export function studyInstanceUid(study: ImagingStudy): string {
  const owner = `ImagingStudy/${study.id ?? '(new)'}`;
  const value = study.identifier?.find((identifier) => identifier.system === DICOM_UID_SYSTEM)?.value;
  if (value === undefined) throw new PermanentError(`${owner} has no Study Instance UID (identifier ${DICOM_UID_SYSTEM})`);
  const uid = value.startsWith('urn:oid:') ? value.slice('urn:oid:'.length) : value;
  checkUid(uid, owner, 'its Study Instance UID');
  return uid;
}

/** Every instance of the study with checked UIDs; throws when the study has none yet. */
export function studyInstances(study: ImagingStudy): StudyInstance[] {
  const owner = `ImagingStudy/${study.id ?? '(new)'}`;
  const studyUid = studyInstanceUid(study);
  const instances: StudyInstance[] = [];
  for (const series of study.series ?? []) {
    checkUid(series.uid, owner, 'a series UID');
    for (const instance of series.instance ?? []) {
      checkUid(instance.uid, owner, `an instance UID in series ${series.uid}`);
      instances.push({ studyUid, seriesUid: series.uid, sopUid: instance.uid });
    }
  }
  if (instances.length === 0) {
    throw new RetryableDeliveryError(`${owner} has no instances yet; SATUSEHAT needs series and instances, so it is sent once images arrived`);
  }
  return instances;
}

export interface ImagingStudyInput {
  local: ImagingStudy;
  organizationId: string;
  accession: string;
  patientIhs: string;
  serviceRequestId: string;
  referrerIhs?: string;
}

/** The ImagingStudy SATUSEHAT expects (shared/SATUSEHAT.md §6), from the local study. */
export function buildImagingStudy(input: ImagingStudyInput): Record<string, unknown> & { resourceType: 'ImagingStudy' } {
  const { local } = input;
  const owner = `ImagingStudy/${local.id ?? '(new)'}`;
  const studyUid = studyInstanceUid(local);
  studyInstances(local);

  const series = (local.series ?? [])
    .filter((s) => (s.instance?.length ?? 0) > 0)
    .map((s) => {
      const modality = dcmCoding(s.modality);
      if (modality === undefined) throw new PermanentError(`${owner} series ${s.uid} has no modality (${DCM_SYSTEM})`);
      return {
        uid: s.uid,
        ...(s.number !== undefined ? { number: s.number } : {}),
        modality,
        ...(s.description ? { description: s.description } : {}),
        numberOfInstances: s.instance?.length ?? 0,
        ...(toUtcDateTime(s.started) ? { started: toUtcDateTime(s.started) } : {}),
        instance: (s.instance ?? []).map((instance) => ({
          uid: instance.uid,
          ...(instance.number !== undefined ? { number: instance.number } : {}),
          ...(instance.title ? { title: instance.title } : {}),
          sopClass: sopClass(instance.sopClass, owner, instance.uid),
        })),
      };
    });
  const modalities = uniqueByCode([...(local.modality ?? []).map(dcmCoding), ...series.map((s) => s.modality)]);
  const started = toUtcDateTime(local.started);

  return {
    resourceType: 'ImagingStudy',
    identifier: [satusehatAccessionIdentifier(input.organizationId, input.accession), { system: DICOM_UID_SYSTEM, value: `urn:oid:${studyUid}` }],
    status: local.status === 'cancelled' || local.status === 'entered-in-error' ? local.status : 'available',
    modality: modalities,
    subject: { reference: `Patient/${input.patientIhs}` },
    basedOn: [{ reference: `ServiceRequest/${input.serviceRequestId}` }],
    ...(started ? { started } : {}),
    ...(input.referrerIhs ? { referrer: { reference: `Practitioner/${input.referrerIhs}` } } : {}),
    ...(local.description ? { description: local.description } : {}),
    numberOfSeries: series.length,
    numberOfInstances: series.reduce((sum, s) => sum + s.numberOfInstances, 0),
    series,
  };
}

function checkUid(uid: string | undefined, owner: string, what: string): asserts uid is string {
  if (uid === undefined || uid.length > 64 || !DICOM_UID.test(uid)) {
    throw new PermanentError(`${owner} has ${what} that is not a DICOM UID (digits and dots, at most 64 characters): ${JSON.stringify(uid ?? null).slice(0, 80)}`);
  }
}

function dcmCoding(coding: Coding | undefined): { system: string; code: string; display?: string } | undefined {
  if (coding?.system !== DCM_SYSTEM || !coding.code) return undefined;
  return coding.display ? { system: DCM_SYSTEM, code: coding.code, display: coding.display } : { system: DCM_SYSTEM, code: coding.code };
}

function uniqueByCode<T extends { code: string }>(codings: Array<T | undefined>): T[] {
  const byCode = new Map<string, T>();
  for (const coding of codings) if (coding && !byCode.has(coding.code)) byCode.set(coding.code, coding);
  return [...byCode.values()];
}

/** `urn:ietf:rfc:3986` / `urn:oid:<SOP Class UID>`, whichever way the local study wrote the UID. */
function sopClass(coding: Coding | undefined, owner: string, sopUid: string): { system: string; code: string } {
  const uid = SOP_CLASS.exec(coding?.code ?? '')?.[1];
  if (uid === undefined) throw new PermanentError(`${owner} instance ${sopUid} has no SOP Class UID (sopClass)`);
  return { system: RFC_3986_SYSTEM, code: `urn:oid:${uid}` };
}
