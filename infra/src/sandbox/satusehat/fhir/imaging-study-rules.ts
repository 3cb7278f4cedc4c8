import { outcomeIssue, type OutcomeIssue } from '../outcomes.ts';
import { identifiersOf, isPlainObject, referencedId } from './fhir-json.ts';

/** Lax on purpose: real UIDs with leading zeros in a component are common and the platform's strictness is unknown. */
const DICOM_UID = /^[0-9]+(?:\.[0-9]+)*$/;
const SOP_CLASS_CODE = /^urn:oid:([0-9]+(?:\.[0-9]+)*)$/;
const STUDY_UID_SYSTEM = 'urn:dicom:uid';

export interface ImagingStudyReferences {
  patientExists(id: string): boolean;
  serviceRequestExists(id: string): boolean;
}

/**
 * What SATUSEHAT refuses in an ImagingStudy (sections 6 and 10.5): the mandatory elements, the
 * format of UIDs and references, and references to a Patient (IHS number) and ServiceRequest that
 * must already exist. Each problem is one issue; `value` for missing or unknown, `format` for
 * malformed.
 */
export function imagingStudyProblems(study: Record<string, unknown>, references: ImagingStudyReferences): OutcomeIssue[] {
  const issues: OutcomeIssue[] = [];
  const missing = (path: string, what: string): void => {
    issues.push(outcomeIssue('value', `${what} is required`, `ImagingStudy.${path}`));
  };

  if (identifiersOf(study).length === 0) missing('identifier', 'identifier');
  if (typeof study.status !== 'string' || study.status === '') missing('status', 'status');
  if (!nonEmptyArray(study.modality)) missing('modality', 'modality');

  if (study.subject === undefined) {
    missing('subject', 'subject (a reference to Patient/{IHS number})');
  } else {
    const patientId = referencedId(study.subject, 'Patient');
    if (patientId === undefined) {
      issues.push(outcomeIssue('format', 'subject.reference must be Patient/{IHS number}', 'ImagingStudy.subject.reference'));
    } else if (!references.patientExists(patientId)) {
      issues.push(outcomeIssue('value', `Patient/${patientId} is not a known Patient`, 'ImagingStudy.subject.reference'));
    }
  }

  if (!nonEmptyArray(study.basedOn)) {
    missing('basedOn', 'basedOn (a reference to ServiceRequest/{id})');
  } else {
    study.basedOn.forEach((reference, index) => {
      const path = `ImagingStudy.basedOn[${index}].reference`;
      const requestId = referencedId(reference, 'ServiceRequest');
      if (requestId === undefined) issues.push(outcomeIssue('format', 'basedOn.reference must be ServiceRequest/{id}', path));
      else if (!references.serviceRequestExists(requestId)) {
        issues.push(outcomeIssue('value', `ServiceRequest/${requestId} does not exist`, path));
      }
    });
  }

  if (!nonEmptyArray(study.series)) {
    missing('series', 'series');
  } else {
    study.series.forEach((series, index) => issues.push(...seriesProblems(series, `series[${index}]`)));
  }
  return issues;
}

function seriesProblems(series: unknown, path: string): OutcomeIssue[] {
  const issues: OutcomeIssue[] = [];
  const element = isPlainObject(series) ? series : {};
  issues.push(...uidProblems(element.uid, `ImagingStudy.${path}.uid`, 'series.uid'));
  if (!isPlainObject(element.modality)) issues.push(outcomeIssue('value', 'series.modality is required', `ImagingStudy.${path}.modality`));
  if (!nonEmptyArray(element.instance)) {
    issues.push(outcomeIssue('value', 'series.instance is required', `ImagingStudy.${path}.instance`));
    return issues;
  }
  element.instance.forEach((instance, index) => {
    const instancePath = `ImagingStudy.${path}.instance[${index}]`;
    const item = isPlainObject(instance) ? instance : {};
    issues.push(...uidProblems(item.uid, `${instancePath}.uid`, 'series.instance.uid'));
    if (!isPlainObject(item.sopClass)) {
      issues.push(outcomeIssue('value', 'series.instance.sopClass is required', `${instancePath}.sopClass`));
    } else if (typeof item.sopClass.code !== 'string' || !SOP_CLASS_CODE.test(item.sopClass.code)) {
      issues.push(outcomeIssue('format', 'series.instance.sopClass.code must be urn:oid:{SOP Class UID}', `${instancePath}.sopClass.code`));
    }
  });
  return issues;
}

function uidProblems(uid: unknown, expression: string, name: string): OutcomeIssue[] {
  if (uid === undefined || uid === '') return [outcomeIssue('value', `${name} is required`, expression)];
  if (typeof uid !== 'string' || uid.length > 64 || !DICOM_UID.test(uid)) {
    return [outcomeIssue('format', `${name} must be a DICOM UID (digits and dots, at most 64 characters)`, expression)];
  }
  return [];
}

/** The Study Instance UID from `identifier` `{system: urn:dicom:uid, value: urn:oid:<uid>}`. */
export function studyInstanceUidOf(study: Record<string, unknown>): string | undefined {
  const value = identifiersOf(study).find((identifier) => identifier.system === STUDY_UID_SYSTEM)?.value;
  return value?.startsWith('urn:oid:') ? value.slice('urn:oid:'.length) : undefined;
}

function nonEmptyArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length > 0;
}
