/**
 * What routing rules can ask about a resource, gathered once per delivery: modalities, the arrival
 * path (AE titles, sending facility), the patient's identifiers, the referring physician, the
 * description. Reading the Patient and the physician is the only hub traffic.
 */
import type { CodeableConcept, HumanName, ImagingStudy, Patient, Practitioner, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { readReceivedFrom } from '@simpul/infra';
import type { RoutedResource } from './destination-driver.ts';

export const DICOM_MODALITY_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';

export interface RoutingFacts {
  readonly resourceType: RoutedResource['resourceType'];
  readonly modalities: readonly string[];
  readonly callingAeTitles: readonly string[];
  readonly calledAeTitles: readonly string[];
  readonly sendingFacilities: readonly string[];
  /** Each written `system|value`. */
  readonly patientIdentifiers: readonly string[];
  /** Names and references of the referring physician (ImagingStudy.referrer, ServiceRequest.requester). */
  readonly referringPhysicians: readonly string[];
  /** ImagingStudy.description and series descriptions; ServiceRequest.code text and displays. */
  readonly studyDescriptions: readonly string[];
}

/** Reads a referenced resource; undefined when it cannot be read (gone, not allowed). */
export type ReferenceReader = <T extends Patient | Practitioner>(reference: Reference<T>) => Promise<T | undefined>;

export async function gatherRoutingFacts(resource: RoutedResource, read: ReferenceReader): Promise<RoutingFacts> {
  const arrivals = readReceivedFrom(resource);
  const subject = resource.subject as Reference<Patient> | undefined;
  const physician = resource.resourceType === 'ImagingStudy' ? resource.referrer : resource.requester;
  const [patient, physicianResource] = await Promise.all([
    subject?.reference?.startsWith('Patient/') ? read(subject) : undefined,
    physician?.reference?.startsWith('Practitioner/') ? read(physician as Reference<Practitioner>) : undefined,
  ]);
  const identifiers = [...(patient?.identifier ?? []), ...(subject?.identifier ? [subject.identifier] : [])];
  return {
    resourceType: resource.resourceType,
    modalities: unique(resource.resourceType === 'ImagingStudy' ? studyModalities(resource) : orderModalities(resource)),
    callingAeTitles: unique(arrivals.map((from) => from.callingAeTitle)),
    calledAeTitles: unique(arrivals.map((from) => from.calledAeTitle)),
    sendingFacilities: unique(arrivals.map((from) => from.sendingFacility)),
    patientIdentifiers: unique(identifiers.map((identifier) => (identifier.value ? `${identifier.system ?? ''}|${identifier.value}` : undefined))),
    referringPhysicians: unique([physician?.display, physician?.reference, ...(physicianResource?.name ?? []).map(nameText)]),
    studyDescriptions: unique(
      resource.resourceType === 'ImagingStudy'
        ? [resource.description, ...(resource.series ?? []).map((series) => series.description), ...conceptTexts(resource.procedureCode)]
        : conceptTexts(resource.code ? [resource.code] : []),
    ),
  };
}

function studyModalities(study: ImagingStudy): (string | undefined)[] {
  return [...(study.modality ?? []).map((coding) => coding.code), ...(study.series ?? []).map((series) => series.modality?.code)];
}

function orderModalities(order: ServiceRequest): (string | undefined)[] {
  return (order.orderDetail ?? []).flatMap((detail) => (detail.coding ?? []).filter((coding) => coding.system === DICOM_MODALITY_SYSTEM).map((coding) => coding.code));
}

function conceptTexts(concepts: readonly CodeableConcept[] | undefined): (string | undefined)[] {
  return (concepts ?? []).flatMap((concept) => [concept.text, ...(concept.coding ?? []).map((coding) => coding.display)]);
}

function nameText(name: HumanName): string | undefined {
  return name.text ?? ([...(name.prefix ?? []), ...(name.given ?? []), name.family].filter(Boolean).join(' ') || undefined);
}

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => typeof value === 'string' && value.trim() !== '').map((value) => value.trim()))];
}
