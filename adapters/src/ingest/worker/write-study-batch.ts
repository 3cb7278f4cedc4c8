import type { Bundle, BundleEntry, Endpoint, ImagingStudy, Identifier, Patient, Provenance, ProvenanceEntity, Reference, ServiceRequest } from '@medplum/fhirtypes';
import type { InstanceMetadata } from '../../dicom/data/instance-metadata.ts';
import {
  DICOM_UID_SYSTEM,
  DicomIngestError,
  buildDicomIngestBundle,
  dicomIngestFullUrls,
  mergeInstanceIntoStudy,
  patientIdentifier,
  studyUidIdentifier,
} from '../dicom/index.ts';
import { MESSAGE_STORE_SYSTEM } from '../hl7/map-provenance.ts';
import { tokenValue } from '../hl7/transaction-builder.ts';
import type { DicomIngestSettings } from './dicom-ingest-settings.ts';
import { HubRequestError, type HubClient } from './hub-client.ts';
import { addBasedOn, findOrderByAccession } from './link-orders.ts';

/**
 * Writes a batch of instances of one study: resolve the Patient and the order, read the ImagingStudy
 * with its version, merge every instance, send one transaction (Patient if new, the study with If-Match
 * or create-if-none-exist, the sending Device, one Provenance naming every message of the batch). When
 * another writer got there first (412, or the create found an existing study) it reads and merges
 * again: `mergeInstanceIntoStudy` makes every retry correct, whatever the order instances arrive in.
 */

export interface StudyBatchItem {
  readonly messageId: string;
  readonly sender: string;
  /** Our AE title the modality called (routing rules can ask for it). */
  readonly calledAeTitle?: string;
  readonly receivedAt: string;
  readonly instance: InstanceMetadata;
}

export interface StudyBatchDeps {
  readonly hub: HubClient;
  readonly settings: DicomIngestSettings;
  /** `Endpoint/<id>` of the hub's WADO-RS (created once). */
  readonly endpoint: () => Promise<string>;
}

export interface StudyBatchWritten {
  readonly resources: string[];
  readonly study: string;
}

const MAX_ATTEMPTS = 10;

/** One result per item: what was written, or the DicomIngestError that kept the item out. */
export async function writeStudyBatch(items: readonly StudyBatchItem[], deps: StudyBatchDeps): Promise<(StudyBatchWritten | Error)[]> {
  const results: (StudyBatchWritten | Error | undefined)[] = items.map(() => undefined);
  const identifiers = items.map((item) => safely(() => patientIdentifier(item.instance, deps.settings.patientIdentifierSystems)));
  const anchorIndex = identifiers.findIndex((identifier) => !(identifier instanceof Error));
  identifiers.forEach((identifier, i) => {
    if (identifier instanceof Error) results[i] = identifier;
  });
  if (anchorIndex < 0) return results as Error[];
  const anchor = items[anchorIndex];
  const anchorIdentifier = identifiers[anchorIndex] as Identifier;
  // One study has one patient: instances naming another Patient ID are refused, not merged.
  identifiers.forEach((identifier, i) => {
    if (results[i] || sameIdentifier(identifier as Identifier, anchorIdentifier)) return;
    results[i] = new DicomIngestError(
      'subject-mismatch',
      `instance ${items[i].instance.sopInstanceUid} names patient ${describe(identifier as Identifier)} but study ${anchor.instance.studyInstanceUid} is of ${describe(anchorIdentifier)}`,
    );
  });
  const members = items.map((item, i) => ({ item, i })).filter(({ i }) => !results[i]);
  const patientQuery = `identifier=${tokenValue(anchorIdentifier.system ?? '', anchorIdentifier.value ?? '')}`;
  const resolveSubject = async (): Promise<Reference<Patient>> => {
    const [patient] = await deps.hub.searchPatients(patientQuery);
    // A Patient not there yet is created in the same transaction, under the anchor message's urn:uuid.
    return patient?.id ? { reference: `Patient/${patient.id}` } : { reference: dicomIngestFullUrls(anchor.messageId).patient };
  };
  const [endpoint, orders] = await Promise.all([deps.endpoint(), findOrders(members.map(({ item }) => item), deps)]);
  let subject = await resolveSubject();

  for (let attempt = 1; ; attempt++) {
    const existing = await readStudy(deps.hub, anchor.instance.studyInstanceUid);
    if (existing && subject.reference?.startsWith('urn:')) {
      // Another writer created the study, and with it the Patient, since we looked: use that Patient.
      subject = await resolveSubject();
    }
    let study = existing;
    const merged: typeof members = [];
    for (const member of members) {
      if (results[member.i]) continue;
      try {
        const accession = member.item.instance.study.accessionNumber;
        study = mergeInstanceIntoStudy(study, member.item.instance, {
          subject,
          basedOn: accession ? orders.get(accession) : undefined,
          accessionSystem: deps.settings.accessionSystem,
          receivedFrom: { protocol: 'dicom', callingAeTitle: member.item.sender, calledAeTitle: member.item.calledAeTitle },
        });
        merged.push(member);
      } catch (error) {
        if (!(error instanceof DicomIngestError)) throw error;
        results[member.i] = error;
      }
    }
    if (!study || merged.length === 0) return results as (StudyBatchWritten | Error)[];
    if (!study.endpoint?.some((ref) => ref.reference === endpoint)) study = { ...study, endpoint: [...(study.endpoint ?? []), { reference: endpoint }] };
    const bundle = batchBundle(merged.map(({ item }) => item), study, existing?.meta?.versionId, deps.settings);
    let response: Bundle;
    try {
      response = await deps.hub.transaction(bundle);
    } catch (error) {
      if (error instanceof HubRequestError && error.status === 412 && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    const studyIndex = bundle.entry?.findIndex((entry) => entry.resource?.resourceType === 'ImagingStudy') ?? -1;
    const studyResponse = response.entry?.[studyIndex]?.response;
    if (!existing && !studyResponse?.status?.startsWith('201')) {
      // Another writer created the study first: ours was not written; merge into theirs.
      if (attempt < MAX_ATTEMPTS) continue;
      throw new HubRequestError(`study ${anchor.instance.studyInstanceUid} kept changing under ${MAX_ATTEMPTS} attempts`, 409);
    }
    const resources = locations(response);
    const studyRef = resources.find((ref) => ref.startsWith('ImagingStudy/')) ?? '';
    await linkOrderCreatedMeanwhile(deps, study, studyRef);
    for (const { i } of merged) results[i] = { resources, study: studyRef };
    return results as (StudyBatchWritten | Error)[];
  }
}

/** The transaction for the batch: the builder's, with one Provenance (a create) naming every message of the batch. */
function batchBundle(items: readonly StudyBatchItem[], study: ImagingStudy, versionId: string | undefined, settings: DicomIngestSettings): Bundle {
  const [first] = items;
  const bundle = buildDicomIngestBundle(first.instance, {
    patientIdentifierSystems: settings.patientIdentifierSystems,
    message: { id: first.messageId, sender: first.sender },
    recorded: first.receivedAt,
    imagingStudy: { resource: study, versionId },
  });
  const entries: BundleEntry[] = (bundle.entry ?? []).map((entry) => {
    if (entry.resource?.resourceType !== 'Provenance') return entry;
    const provenance = entry.resource as Provenance;
    const entity: ProvenanceEntity[] = items.flatMap((item) => [
      {
        role: 'source',
        what: { identifier: { system: MESSAGE_STORE_SYSTEM, value: item.messageId }, display: `DICOM instance ${item.instance.sopInstanceUid} from ${item.sender}` },
      },
      { role: 'source', what: { identifier: { system: DICOM_UID_SYSTEM, value: `urn:oid:${item.instance.sopInstanceUid}` } } },
    ]);
    // Batches differ from one delivery to the next, so the Provenance is a plain create: a replay records a new one.
    return { ...entry, resource: { ...provenance, entity }, request: { method: 'POST', url: 'Provenance' } };
  });
  return { ...bundle, entry: entries };
}

async function findOrders(items: readonly StudyBatchItem[], deps: StudyBatchDeps): Promise<Map<string, Reference<ServiceRequest>>> {
  const accessions = [...new Set(items.map((item) => item.instance.study.accessionNumber).filter((a): a is string => Boolean(a)))];
  const found = await Promise.all(accessions.map((accession) => findOrderByAccession(deps.hub, deps.settings.accessionSystem, accession)));
  return new Map(accessions.flatMap((accession, i) => (found[i] ? [[accession, found[i]] as const] : [])));
}

/** The order may have been stored while the study was written without it: look again now that the study is committed. */
async function linkOrderCreatedMeanwhile(deps: StudyBatchDeps, study: ImagingStudy, studyRef: string): Promise<void> {
  if ((study.basedOn?.length ?? 0) > 0 || !studyRef) return;
  const accession = study.identifier?.find((identifier) => identifier.system === deps.settings.accessionSystem)?.value;
  if (!accession) return;
  const order = await findOrderByAccession(deps.hub, deps.settings.accessionSystem, accession);
  if (!order) return;
  const [stored] = await deps.hub.search<ImagingStudy>('ImagingStudy', `_id=${encodeURIComponent(studyRef.split('/')[1])}`);
  if (stored) await addBasedOn(deps.hub, stored, order);
}

export async function readStudy(hub: HubClient, studyUid: string): Promise<ImagingStudy | undefined> {
  const uid = studyUidIdentifier(studyUid);
  const [study] = await hub.search<ImagingStudy>('ImagingStudy', `identifier=${tokenValue(uid.system ?? '', uid.value ?? '')}`);
  return study;
}

/** `Endpoint/<id>` of the hub's WADO-RS service, created the first time (conditional on its identifier). */
export async function ensureDicomWebEndpoint(hub: HubClient, address: string): Promise<string> {
  const identifier = { system: 'https://simpul.dev/fhir/id/endpoint', value: 'dicom-wado-rs' };
  const endpoint: Endpoint = {
    resourceType: 'Endpoint',
    identifier: [identifier],
    status: 'active',
    name: 'Simpul DICOMweb (WADO-RS)',
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'dicom-wado-rs' },
    payloadType: [{ text: 'DICOM' }],
    payloadMimeType: ['application/dicom'],
    address,
  };
  const response = await hub.transaction({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource: endpoint, request: { method: 'POST', url: 'Endpoint', ifNoneExist: `identifier=${tokenValue(identifier.system, identifier.value)}` } }],
  });
  const [location] = locations(response);
  if (!location) throw new Error('the hub did not say where the DICOMweb Endpoint is');
  return location;
}

function locations(response: Bundle): string[] {
  return (response.entry ?? [])
    .map((entry) => entry.response?.location ?? (entry.resource?.id ? `${entry.resource.resourceType}/${entry.resource.id}` : undefined))
    .filter((location): location is string => Boolean(location))
    .map((location) => location.split('/_history/')[0].split('/').slice(-2).join('/'));
}

function safely<T>(fn: () => T): T | Error {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DicomIngestError) return error;
    throw error;
  }
}

function sameIdentifier(a: Identifier, b: Identifier): boolean {
  return a.system === b.system && a.value === b.value;
}

function describe(identifier: Identifier): string {
  return `${identifier.system}|${identifier.value}`;
}
