import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagingStudy, Patient, Practitioner, ServiceRequest, Task } from '@medplum/fhirtypes';
import { parseConfig } from '@simpul/infra';
import { createSatusehatSandbox, createTestVhost, type SatusehatSandbox, type TestVhost } from '@simpul/infra/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DELIVERY_TASK_SYSTEM } from '../src/routing/delivery-task.ts';
import { startBotRuntime, type BotRuntime } from '../src/index.ts';
import { testUid, writeTestInstance, type TestInstance } from './support/dicom-files.ts';
import { startOrthanc, type TestOrthanc } from './support/orthanc.ts';
import { startScriptedRis, type ScriptedRis } from './support/ris-listener.ts';
import { eventually } from './support/runtime-fixture.ts';
import { CLIENT_ID, CLIENT_SECRET, ORG_ID, PATIENT_IHS, PATIENT_NIK, PRACTITIONER_NIK } from './support/satusehat-fixture.ts';
import { startStorescp, type Storescp } from './support/storescp.ts';
import { startTestHub, type BotsTestHub } from './support/test-hub.ts';

/**
 * Routing end to end, with real peers: a hub with its outbox relay, RabbitMQ, the bot runtime with a
 * route bot per destination, two Orthanc PACS (fan-out), dcmtk storescp refusing with 0xA700, an
 * MLLP listener as the RIS and the SATUSEHAT sandbox with faults injected. The end state is checked
 * at the peers themselves: every instance at every destination once, and the delivery Tasks right.
 */
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ACSN_TYPE = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] };
const ACSN_SYSTEM = 'http://rs-simpul.test/acsn';

let vhost: TestVhost;
let hub: BotsTestHub;
let storageDir: string;
let pacsA: TestOrthanc;
let pacsB: TestOrthanc;
let refusing: Storescp;
let ris: ScriptedRis;
let sandbox: SatusehatSandbox;
let runtime: BotRuntime;
let patient: Patient;
let doctor: Practitioner;

beforeAll(async () => {
  vhost = await createTestVhost('simpul_routing');
  storageDir = await mkdtemp(join(tmpdir(), 'simpul-routing-'));
  [hub, pacsA, pacsB, refusing, ris] = await Promise.all([
    startTestHub({ relay: true, busUrl: vhost.url }),
    startOrthanc({ aeTitle: 'ORTHANC_A' }),
    startOrthanc({ aeTitle: 'ORTHANC_B' }),
    startStorescp(storageDir),
    startScriptedRis(),
  ]);
  await refusing.runOutOfResources();
  sandbox = await createSatusehatSandbox({ organizations: [{ id: ORG_ID, name: 'RS Simpul', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }] });
  const satusehat = await sandbox.listen();
  const router = await hub.client('router');
  const runtimeClient = await hub.client('bots runtime');
  const fast = { retryDelaysMs: [300, 600, 1200], attemptTimeoutMs: 60_000 };
  const config = parseConfig({
    hub: { baseUrl: hub.url },
    bus: { url: vhost.url, prefetch: 8 },
    storage: { dir: storageDir },
    bots: { clientId: runtimeClient.clientId, clientSecret: runtimeClient.clientSecret, restHook: { enabled: false } },
    routing: {
      clientId: router.clientId,
      clientSecret: router.clientSecret,
      destinations: {
        'pacs-a': { type: 'pacs', aeTitle: 'ORTHANC_A', host: '127.0.0.1', port: pacsA.dicomPort, ...fast },
        'pacs-b': { type: 'pacs', aeTitle: 'ORTHANC_B', host: '127.0.0.1', port: pacsB.dicomPort, ...fast },
        broken: { type: 'pacs', aeTitle: 'STORESCP', host: '127.0.0.1', port: refusing.port, ...fast, maxAttempts: 2 },
        ris: { type: 'ris', host: '127.0.0.1', port: ris.port, timeoutMs: 5_000, ...fast },
        satusehat: {
          type: 'satusehat',
          authUrl: `${satusehat}/oauth2/v1`,
          fhirUrl: `${satusehat}/fhir-r4/v1`,
          dicomUrl: `${satusehat}/dicom/v1/dicomWeb/studies`,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          organizationId: ORG_ID,
          createServiceRequest: true,
          maxRetryAfterWaitMs: 0,
          ...fast,
          maxAttempts: 6,
        },
      },
      rules: [
        { name: 'ct-fan-out', when: { resourceType: 'ImagingStudy', modality: 'CT' }, sendTo: ['pacs-a', 'pacs-b', 'satusehat'], stableSeconds: 2 },
        { name: 'mr-to-broken', when: { resourceType: 'ImagingStudy', modality: 'MR' }, sendTo: ['broken'] },
        { name: 'orders', when: { resourceType: 'ServiceRequest' }, sendTo: ['ris'] },
      ],
    },
  });
  runtime = await startBotRuntime({ config, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), registrationTimeoutMs: 20_000 });
  await hub.subscriptionsLive(runtime.bots.flatMap((bot) => bot.subscriptionIds));
  patient = await hub.medplum.createResource<Patient>({
    resourceType: 'Patient',
    identifier: [
      { system: 'http://rs-simpul.test/mrn', value: 'MRN-ROUTE-1' },
      { system: 'https://fhir.kemkes.go.id/id/nik', value: PATIENT_NIK },
    ],
    name: [{ family: 'Putra', given: ['Ardianto'] }],
    gender: 'male',
    birthDate: '1992-01-09',
  });
  doctor = await hub.medplum.createResource<Practitioner>({
    resourceType: 'Practitioner',
    identifier: [{ system: 'https://fhir.kemkes.go.id/id/nik', value: PRACTITIONER_NIK }],
    name: [{ family: 'Bronsig', prefix: ['dr.'] }],
  });
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await Promise.all([hub?.close(), pacsA?.stop(), pacsB?.stop(), refusing?.stop(), ris?.stop(), sandbox?.app.close()]);
  await vhost?.remove();
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
}, 60_000);

async function tasksOf(resource: { resourceType: string; id?: string }): Promise<Map<string, Task>> {
  const tasks = await hub.medplum.searchResources('Task', { focus: `${resource.resourceType}/${resource.id}`, _count: '50' });
  return new Map(tasks.map((task) => [task.owner?.display ?? '?', task]));
}

async function writeStudy(instances: number): Promise<{ studyUid: string; seriesUid: string; files: TestInstance[] }> {
  const studyUid = testUid();
  const seriesUid = testUid();
  const files: TestInstance[] = [];
  for (let i = 0; i < instances; i++) files.push(await writeTestInstance(storageDir, { studyUid, seriesUid }));
  return { studyUid, seriesUid, files };
}

function studyResource(order: ServiceRequest | undefined, accession: string | undefined, study: { studyUid: string; seriesUid: string; files: TestInstance[] }, modality: string): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    status: 'available',
    identifier: [
      { use: 'official', system: 'urn:dicom:uid', value: `urn:oid:${study.studyUid}` },
      ...(accession ? [{ use: 'usual' as const, type: ACSN_TYPE, system: ACSN_SYSTEM, value: accession }] : []),
    ],
    modality: [{ system: DCM, code: modality }],
    subject: { reference: `Patient/${patient.id}` },
    basedOn: order ? [{ reference: `ServiceRequest/${order.id}` }] : undefined,
    referrer: { reference: `Practitioner/${doctor.id}` },
    started: '2026-11-22T08:00:00+07:00',
    numberOfSeries: 1,
    numberOfInstances: study.files.length,
    series: [
      {
        uid: study.seriesUid,
        number: 1,
        modality: { system: DCM, code: modality },
        instance: study.files.map((file, index) => ({ uid: file.sopInstanceUid, number: index + 1, sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${file.sopClassUid}` } })),
      },
    ],
  };
}

describe('routing to PACS, RIS and SATUSEHAT', () => {
  test('an order reaches the RIS and a growing CT study reaches both PACS and SATUSEHAT once, through injected faults', async () => {
    const accession = `ACC-${Date.now().toString(36)}`;
    const order = await hub.medplum.createResource<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      identifier: [
        { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'PLAC' }] }, system: 'http://rs-simpul.test/order', value: `ORD-${accession}` },
        { use: 'usual', type: ACSN_TYPE, system: ACSN_SYSTEM, value: accession },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '24648-8', display: 'XR Chest PA upr' }] },
      orderDetail: [{ coding: [{ system: DCM, code: 'CT' }] }],
      subject: { reference: `Patient/${patient.id}` },
      requester: { reference: `Practitioner/${doctor.id}` },
    });

    // SATUSEHAT misbehaves first: a gateway timeout, then a 429 with Retry-After, then an expired token.
    sandbox.faults.inject({ route: 'POST /oauth2/v1/accesstoken', kind: '5xx', status: 504 });
    sandbox.faults.inject({ route: '/fhir-r4/v1/ImagingStudy', kind: '429', retryAfterSeconds: 1 });
    sandbox.faults.inject({ route: 'POST /dicom/v1/dicomWeb/studies', kind: 'expired-token' });

    // The study grows: two instances, then all five; only the stable version is sent.
    const study = await writeStudy(5);
    const firstTwo = { ...study, files: study.files.slice(0, 2) };
    const created = await hub.medplum.createResource(studyResource(order, accession, firstTwo, 'CT'));
    const grown = await hub.medplum.updateResource({ ...studyResource(order, accession, study, 'CT'), id: created.id });
    const uids = study.files.map((file) => file.sopInstanceUid).sort();

    const risTask = await eventually('the RIS delivery', async () => (await tasksOf(order)).get('ris')?.status === 'completed' || undefined, 60_000);
    expect(risTask).toBe(true);
    expect(ris.received).toHaveLength(1);
    expect(ris.received[0].getSegment('ORC')?.getField(1)?.toString()).toBe('NW');

    const tasks = await eventually(
      'three delivered study Tasks',
      async () => {
        const found = await tasksOf(grown);
        return ['pacs-a', 'pacs-b', 'satusehat'].every((name) => found.get(name)?.status === 'completed') ? found : undefined;
      },
      90_000,
    );
    expect((await pacsA.sopInstanceUids()).sort()).toEqual(uids);
    expect((await pacsB.sopInstanceUids()).sort()).toEqual(uids);
    const uploaded = sandbox.store.instances().map((instance) => instance.sopInstanceUid);
    expect([...uploaded].sort()).toEqual(uids);

    for (const name of ['pacs-a', 'pacs-b', 'satusehat']) {
      const task = tasks.get(name) as Task;
      expect(task.identifier?.[0]).toEqual({ system: DELIVERY_TASK_SYSTEM, value: `${name}/ImagingStudy/${grown.id}` });
      const delivered = (task.output ?? []).filter((output) => output.valueOid).map((output) => output.valueOid?.replace('urn:oid:', '')).sort();
      expect(delivered, name).toEqual(uids);
    }
    const satusehatTask = tasks.get('satusehat') as Task;
    const attempts = satusehatTask.extension?.find((extension) => extension.url.endsWith('/delivery-attempts'))?.valueInteger ?? 0;
    expect(attempts, 'the 504 and the 429 each cost an attempt').toBeGreaterThanOrEqual(3);
    const remoteStudyId = satusehatTask.output?.find((output) => output.type?.text === 'ImagingStudy')?.valueString;
    expect(remoteStudyId).toBeTruthy();
    expect(sandbox.store.resources('ImagingStudy').map((resource) => resource.id)).toContain(remoteStudyId);
    const local = await hub.medplum.readResource('ImagingStudy', grown.id as string);
    expect(local.identifier?.some((identifier) => identifier.value === remoteStudyId)).toBe(true);
    const localPatient = await hub.medplum.readResource('Patient', patient.id as string);
    expect(localPatient.identifier?.find((identifier) => identifier.system === 'https://fhir.kemkes.go.id/id/ihs-number')?.value).toBe(PATIENT_IHS);
    expect(sandbox.faults.active()).toEqual([]);
  }, 150_000);

  test('a PACS that keeps answering 0xA700 leaves a failed Task with the status and a dead letter', async () => {
    const study = await writeStudy(2);
    const created = await hub.medplum.createResource(studyResource(undefined, undefined, study, 'MR'));
    const task = await eventually('the failed delivery', async () => {
      const found = (await tasksOf(created)).get('broken');
      return found?.status === 'failed' ? found : undefined;
    }, 60_000);
    expect(task.statusReason?.text).toContain('0xA700');
    expect(task.businessStatus?.coding?.[0].code).toBe('failed');
    // The Task is marked failed before the runtime moves the delivery to the dead-letter queue.
    const letters = await eventually('the dead letter', async () => {
      const found = await runtime.bus.listDead('bot.route-broken.dead', { limit: 10 });
      return found.length > 0 ? found : undefined;
    }, 30_000);
    expect(letters.map((letter) => letter.lastError).join('\n')).toContain('0xA700');
    expect(await refusing.stored()).toEqual([]);
    expect((await tasksOf(created)).has('pacs-a')).toBe(false);
  }, 90_000);
});
