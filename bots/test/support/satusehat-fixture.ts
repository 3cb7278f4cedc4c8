import { randomInt, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagingStudy, Patient, Practitioner, ServiceRequest } from '@medplum/fhirtypes';
import { routingConfigSchema, type SatusehatDestinationConfig } from '@simpul/infra';
import { createSatusehatSandbox, writeTestPart10, type SatusehatSandbox } from '@simpul/infra/testing';
import type { DeliveryContext, DeliveryProgress, ProgressUpdate, RoutedResource } from '../../src/routing/destination-driver.ts';
import type { DeliveryInteraction } from '../../src/runtime/delivery-body.ts';
import { startTestHub, type BotsTestHub } from './test-hub.ts';

/**
 * A SATUSEHAT sandbox and a real hub side by side, local resources shaped like the ingest writes them,
 * DICOM files where the driver looks for them, and a delivery context that records what the driver
 * checkpointed and logged.
 */

export const ORG_ID = '10000004';
export const CLIENT_ID = 'rs-simpul-client';
export const CLIENT_SECRET = 'very-secret-sandbox-value-123';
export const PATIENT_NIK = '9271060312000001';
export const PATIENT_IHS = 'P02478375538';
export const PRACTITIONER_NIK = '7209061211900001';
export const PRACTITIONER_IHS = 'N10000001';
export const DX_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.1.1';
export const LOCAL_ACSN_SYSTEM = 'http://rs-simpul.test/acsn';

export interface LogLine {
  level: string;
  fields: object;
  message: string;
}

export interface TestDelivery {
  context: DeliveryContext<SatusehatDestinationConfig>;
  checkpoints: ProgressUpdate[];
  logs: LogLine[];
}

export interface SeededStudy {
  patient: Patient & { id: string };
  practitioner: Practitioner & { id: string };
  order: ServiceRequest & { id: string };
  study: ImagingStudy & { id: string };
  accession: string;
  studyUid: string;
  sopUids: string[];
}

export interface SatusehatFixture {
  hub: BotsTestHub;
  sandbox: SatusehatSandbox;
  storageDir: string;
  destination(overrides?: Partial<SatusehatDestinationConfig>): SatusehatDestinationConfig;
  delivery(resource: RoutedResource, options?: { destination?: SatusehatDestinationConfig; progress?: Partial<DeliveryProgress>; interaction?: DeliveryInteraction }): TestDelivery;
  seedStudy(options?: { nik?: string | null; instances?: number; writeFiles?: boolean }): Promise<SeededStudy>;
  /** Requests the sandbox answered, optionally only those whose `METHOD path` starts with `prefix`. */
  requests(prefix?: string): Array<{ method: string; path: string; url: string; status: number; headers: Record<string, string> }>;
  /** Creates a ServiceRequest in SATUSEHAT the way a SIMRS would. */
  remoteServiceRequest(accession: string): Promise<string>;
  close(): Promise<void>;
}

export async function startSatusehatFixture(): Promise<SatusehatFixture> {
  const sandbox = await createSatusehatSandbox({
    organizations: [{ id: ORG_ID, name: 'RS Simpul', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
  });
  const base = await sandbox.listen();
  const hub = await startTestHub();
  const storageDir = await mkdtemp(join(tmpdir(), 'simpul-satusehat-'));

  const destination = (overrides: Partial<SatusehatDestinationConfig> = {}): SatusehatDestinationConfig => {
    const parsed = routingConfigSchema.parse({
      destinations: {
        satusehat: {
          type: 'satusehat',
          authUrl: `${base}/oauth2/v1`,
          fhirUrl: `${base}/fhir-r4/v1`,
          dicomUrl: `${base}/dicom/v1/dicomWeb/studies`,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          organizationId: ORG_ID,
          createServiceRequest: true,
          timeoutMs: 10_000,
        },
      },
    });
    return { ...(parsed.destinations.satusehat as SatusehatDestinationConfig), ...overrides };
  };

  const delivery: SatusehatFixture['delivery'] = (resource, options = {}) => {
    const checkpoints: ProgressUpdate[] = [];
    const logs: LogLine[] = [];
    const log = (level: string) => (fields: object, message: string) => logs.push({ level, fields, message });
    const context: DeliveryContext<SatusehatDestinationConfig> = {
      destinationName: 'satusehat',
      destination: options.destination ?? destination(),
      medplum: hub.medplum,
      resource,
      interaction: options.interaction ?? 'create',
      idempotencyKey: randomUUID(),
      attempt: 1,
      traceId: randomUUID(),
      storageDir,
      progress: { deliveredInstances: options.progress?.deliveredInstances ?? new Set(), remoteIds: options.progress?.remoteIds ?? {} },
      checkpoint: async (update) => {
        checkpoints.push(update);
      },
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      signal: AbortSignal.timeout(60_000),
    };
    return { context, checkpoints, logs };
  };

  const seedStudy: SatusehatFixture['seedStudy'] = async (options = {}) => {
    const tag = randomUUID().slice(0, 8);
    const accession = `ACC-${tag}`;
    const studyUid = `2.25.${randomInt(1, 2 ** 47)}${randomInt(1, 2 ** 47)}`;
    const seriesUid = `${studyUid}.1`;
    const sopUids = Array.from({ length: options.instances ?? 3 }, (_, index) => `${seriesUid}.${index + 1}`);
    const nik = options.nik === undefined ? PATIENT_NIK : options.nik;
    const patient = (await hub.medplum.createResource<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: 'http://rs-simpul.test/mrn', value: `MRN-${tag}` }, ...(nik === null ? [] : [{ system: 'https://fhir.kemkes.go.id/id/nik', value: nik }])],
      name: [{ family: 'Putra', given: ['Ardianto'] }],
    })) as Patient & { id: string };
    const practitioner = (await hub.medplum.createResource<Practitioner>({
      resourceType: 'Practitioner',
      identifier: [{ system: 'https://fhir.kemkes.go.id/id/nik', value: PRACTITIONER_NIK }],
      name: [{ family: 'Bronsig' }],
    })) as Practitioner & { id: string };
    const acsn = { use: 'usual' as const, type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, system: LOCAL_ACSN_SYSTEM, value: accession };
    const order = (await hub.medplum.createResource<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'PLAC' }] }, system: 'http://rs-simpul.test/order', value: `ORD-${tag}` }, acsn],
      code: { coding: [{ system: 'http://loinc.org', code: '24648-8', display: 'XR Chest PA upr' }] },
      orderDetail: [{ coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' }], text: 'Modality Code: DX' }],
      subject: { reference: `Patient/${patient.id}` },
      requester: { reference: `Practitioner/${practitioner.id}` },
      occurrenceDateTime: '2025-09-09T09:05:00+07:00',
    })) as ServiceRequest & { id: string };
    const modality = { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX', display: 'Digital Radiography' };
    const study = (await hub.medplum.createResource<ImagingStudy>({
      resourceType: 'ImagingStudy',
      status: 'available',
      identifier: [{ use: 'official', system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` }, acsn],
      modality: [modality],
      subject: { reference: `Patient/${patient.id}` },
      basedOn: [{ reference: `ServiceRequest/${order.id}` }],
      referrer: { reference: `Practitioner/${practitioner.id}` },
      started: '2025-09-09T14:17:30+07:00',
      numberOfSeries: 1,
      numberOfInstances: sopUids.length,
      series: [
        {
          uid: seriesUid,
          number: 1,
          modality,
          numberOfInstances: sopUids.length,
          instance: sopUids.map((uid, index) => ({ uid, number: index + 1, title: 'ORIGINAL\\PRIMARY', sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${DX_SOP_CLASS}` } })),
        },
      ],
    })) as ImagingStudy & { id: string };
    if (options.writeFiles !== false) {
      const dir = join(storageDir, 'dicom', studyUid, seriesUid);
      await mkdir(dir, { recursive: true });
      for (const sopUid of sopUids) {
        await writeFile(join(dir, `${sopUid}.dcm`), writeTestPart10({ sopInstanceUid: sopUid, studyInstanceUid: studyUid, seriesInstanceUid: seriesUid, accessionNumber: accession }));
      }
    }
    return { patient, practitioner, order, study, accession, studyUid, sopUids };
  };

  const requests: SatusehatFixture['requests'] = (prefix) =>
    sandbox.store.requests().filter((request) => prefix === undefined || `${request.method} ${request.path}`.startsWith(prefix));

  const remoteServiceRequest = async (accession: string): Promise<string> => {
    const token = await sandbox.app.inject({
      method: 'POST',
      url: '/oauth2/v1/accesstoken?grant_type=client_credentials',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }).toString(),
    });
    const created = await sandbox.app.inject({
      method: 'POST',
      url: '/fhir-r4/v1/ServiceRequest',
      headers: { authorization: `Bearer ${token.json().access_token as string}` },
      payload: {
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'original-order',
        identifier: [{ use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, system: `http://sys-ids.kemkes.go.id/acsn/${ORG_ID}`, value: accession }],
        category: [{ coding: [{ system: 'http://snomed.info/sct', code: '363679005', display: 'Imaging' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '24648-8' }] },
        subject: { reference: `Patient/${PATIENT_IHS}` },
      },
    });
    if (created.statusCode !== 201) throw new Error(`sandbox refused the SIMRS ServiceRequest: ${created.body}`);
    return created.json().id as string;
  };

  return {
    hub,
    sandbox,
    storageDir,
    destination,
    delivery,
    seedStudy,
    requests,
    remoteServiceRequest,
    async close() {
      await sandbox.close();
      await hub.close();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
