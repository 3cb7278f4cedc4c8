import { createHash } from 'node:crypto';
import type { Bundle, BundleEntry, Device, HumanName, Identifier, ImagingStudy, Patient, Provenance, Reference } from '@medplum/fhirtypes';
import type { InstanceMetadata } from '../../dicom/data/instance-metadata.ts';
import type { PersonName } from '../../dicom/data/person-name.ts';
import { MESSAGE_STORE_SYSTEM } from '../hl7/map-provenance.ts';
import { identifierSearch } from '../hl7/transaction-builder.ts';
import { DICOM_UID_SYSTEM, studyUidIdentifier } from './dicom-codings.ts';
import { DicomIngestError } from './dicom-ingest-error.ts';

/** Identifier system of the AE titles of the modalities and PACS that send DICOM (Device.identifier). */
export const AE_TITLE_SYSTEM = 'https://simpul.dev/fhir/id/dicom-ae-title';

export interface PatientIdentifierSystems {
  /** Issuer of Patient ID (0010,0021) → identifier system URI (the configured assigning-authority map). */
  readonly byIssuer: Readonly<Record<string, string>>;
  /** System of a Patient ID sent without an issuer: the facility's MRN system. */
  readonly withoutIssuer: string;
}

export interface DicomIngestContext {
  readonly patientIdentifierSystems: PatientIdentifierSystems;
  /** The inbound message this instance arrived in: message store id and sender (the calling AE title). */
  readonly message: { readonly id: string; readonly sender: string };
  /** When the instance was received (Provenance.recorded), a FHIR instant. */
  readonly recorded: string;
  /**
   * The study to write in the same transaction, as `mergeInstanceIntoStudy` made it. With `versionId`
   * (the version it was merged into) it is a PUT with If-Match; without an id it is a create-if-none-exist
   * on its Study Instance UID. A 412, or a 200 instead of 201 on that create, means another writer got
   * there first: read the study again, merge again, send again.
   */
  readonly imagingStudy?: { readonly resource: ImagingStudy; readonly versionId?: string };
}

/** The urn:uuid fullUrls of the entries for a message: stable, so a replay builds the same transaction. */
export function dicomIngestFullUrls(messageId: string): { patient: string; imagingStudy: string; device: string; provenance: string } {
  return {
    patient: stableUrn(messageId, 'Patient'),
    imagingStudy: stableUrn(messageId, 'ImagingStudy'),
    device: stableUrn(messageId, 'Device'),
    provenance: stableUrn(messageId, 'Provenance'),
  };
}

/**
 * The transaction for one DICOM instance: a create-if-none-exist of the Patient on its identifier (an
 * existing, richer Patient is never overwritten), the study when given, the sending modality as a Device
 * (created once per AE title), and a Provenance naming the message and the SOP Instance UID. The
 * Provenance is a conditional PUT on the message store id, as for HL7 v2, so a replay rewrites it rather
 * than adding another. The study's subject may be the Patient entry's urn:uuid
 * (`dicomIngestFullUrls(...).patient`); the hub resolves it to the created or matched Patient.
 */
export function buildDicomIngestBundle(instance: InstanceMetadata, context: DicomIngestContext): Bundle {
  const urls = dicomIngestFullUrls(context.message.id);
  const identifier = patientIdentifier(instance, context.patientIdentifierSystems);
  const entries: BundleEntry[] = [
    {
      fullUrl: urls.patient,
      resource: patientResource(instance, identifier),
      request: { method: 'POST', url: 'Patient', ifNoneExist: identifierSearch(identifier.system ?? '', identifier.value ?? '') },
    },
  ];
  if (context.imagingStudy) {
    entries.push(studyEntry(instance, context.imagingStudy, urls.imagingStudy));
  }
  entries.push({
    fullUrl: urls.device,
    resource: senderDevice(instance, context.message.sender),
    request: { method: 'POST', url: 'Device', ifNoneExist: identifierSearch(AE_TITLE_SYSTEM, context.message.sender) },
  });
  const targets: Reference[] = entries.map((entry) => ({ reference: entry.fullUrl }));
  entries.push({
    fullUrl: urls.provenance,
    resource: provenance(instance, context, targets, urls.device),
    request: { method: 'PUT', url: `Provenance?${identifierSearch(MESSAGE_STORE_SYSTEM, context.message.id, 'entity:identifier')}` },
  });
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

/** The Patient identifier for the instance's Patient ID, in the system its issuer maps to. */
export function patientIdentifier(instance: InstanceMetadata, systems: PatientIdentifierSystems): Identifier {
  const value = instance.patient.id;
  if (!value) {
    throw new DicomIngestError('missing-patient-id', `instance ${instance.sopInstanceUid} has no Patient ID (0010,0020)`);
  }
  const issuer = instance.patient.issuer;
  const system = issuer === undefined ? systems.withoutIssuer : systems.byIssuer[issuer];
  if (!system) {
    throw new DicomIngestError(
      'unknown-issuer',
      `Issuer of Patient ID ${JSON.stringify(issuer)} of instance ${instance.sopInstanceUid} is not in the assigning-authority map` +
        ` (known: ${Object.keys(systems.byIssuer).join(', ') || 'none'})`,
    );
  }
  return { system, value };
}

function patientResource(instance: InstanceMetadata, identifier: Identifier): Patient {
  const { name, birthDate, sex } = instance.patient;
  return {
    resourceType: 'Patient',
    identifier: [identifier],
    ...(name ? { name: [humanName(name)] } : {}),
    ...(sex ? { gender: sex } : {}),
    ...(birthDate ? { birthDate } : {}),
  };
}

function humanName(name: PersonName): HumanName {
  return {
    use: 'official',
    text: name.text,
    ...(name.family ? { family: name.family } : {}),
    ...(name.given ? { given: name.given } : {}),
    ...(name.prefix ? { prefix: name.prefix } : {}),
    ...(name.suffix ? { suffix: name.suffix } : {}),
  };
}

/** The sending modality or PACS, known by its AE title. */
function senderDevice(instance: InstanceMetadata, aeTitle: string): Device {
  const { manufacturer, modelName, stationName } = instance.equipment;
  return {
    resourceType: 'Device',
    identifier: [{ system: AE_TITLE_SYSTEM, value: aeTitle }],
    status: 'active',
    ...(manufacturer ? { manufacturer } : {}),
    deviceName: [
      { name: stationName ? `${aeTitle} (${stationName})` : aeTitle, type: 'user-friendly-name' },
      ...(modelName ? [{ name: modelName, type: 'model-name' as const }] : []),
    ],
  };
}

function studyEntry(instance: InstanceMetadata, study: NonNullable<DicomIngestContext['imagingStudy']>, fullUrl: string): BundleEntry {
  const { resource, versionId } = study;
  if (resource.id) {
    if (!versionId) {
      throw new Error(`ImagingStudy/${resource.id} needs the versionId it was merged into, for If-Match`);
    }
    return { fullUrl, resource, request: { method: 'PUT', url: `ImagingStudy/${resource.id}`, ifMatch: `W/"${versionId}"` } };
  }
  const uid = studyUidIdentifier(instance.studyInstanceUid);
  return { fullUrl, resource, request: { method: 'POST', url: 'ImagingStudy', ifNoneExist: identifierSearch(uid.system ?? '', uid.value ?? '') } };
}

function provenance(instance: InstanceMetadata, context: DicomIngestContext, target: Reference[], deviceUrl: string): Provenance {
  return {
    resourceType: 'Provenance',
    target,
    recorded: context.recorded,
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author', display: 'Author' }] },
        who: { reference: deviceUrl, display: context.message.sender },
      },
    ],
    entity: [
      {
        role: 'source',
        what: {
          identifier: { system: MESSAGE_STORE_SYSTEM, value: context.message.id },
          display: `DICOM instance ${instance.sopInstanceUid} from ${context.message.sender}`,
        },
      },
      { role: 'source', what: { identifier: { system: DICOM_UID_SYSTEM, value: `urn:oid:${instance.sopInstanceUid}` } } },
    ],
  };
}

/** A UUID (version 5 layout) derived from the message id and the entry's role. */
function stableUrn(messageId: string, role: string): string {
  const hex = createHash('sha256').update(`simpul-dicom-ingest/${messageId}/${role}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
