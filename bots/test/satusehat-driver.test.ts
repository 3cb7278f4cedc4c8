import type { ImagingStudy, Patient, ServiceRequest } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import { BUSINESS_RULE_TEXT } from '@simpul/infra/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { RetryableDeliveryError, type DeliveryResult } from '../src/routing/destination-driver.ts';
import { createSatusehatDriver, SatusehatTokenCache } from '../src/satusehat/index.ts';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  ORG_ID,
  PATIENT_IHS,
  PRACTITIONER_IHS,
  startSatusehatFixture,
  type LogLine,
  type SatusehatFixture,
  type SeededStudy,
} from './support/satusehat-fixture.ts';

const IHS_SYSTEM = 'https://fhir.kemkes.go.id/id/ihs-number';
const REMOTE_STUDY_SYSTEM = 'https://simpul.dev/fhir/NamingSystem/satusehat-id/ImagingStudy';
const REMOTE_ORDER_SYSTEM = 'https://simpul.dev/fhir/NamingSystem/satusehat-id/ServiceRequest';
const TOKEN_PATH = 'POST /oauth2/v1/accesstoken';

describe('SATUSEHAT driver against the sandbox and a real hub', () => {
  let fx: SatusehatFixture;

  beforeAll(async () => {
    fx = await startSatusehatFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });
  beforeEach(() => {
    fx.sandbox.faults.clear();
  });

  const remoteOf = (type: string, accession: string) =>
    fx.sandbox.store.resources(type).filter((r) => (r.identifier as Array<{ system?: string; value?: string }> | undefined)?.some((i) => i.system === `http://sys-ids.kemkes.go.id/acsn/${ORG_ID}` && i.value === accession));
  const instancesOf = (studyUid: string) => fx.sandbox.store.instances().filter((instance) => instance.studyInstanceUid === studyUid);
  const tokenRequests = () => fx.requests(TOKEN_PATH).length;
  const freshStudy = (seeded: SeededStudy) => fx.hub.medplum.readResource('ImagingStudy', seeded.study.id) as Promise<ImagingStudy>;
  const noSecrets = (logs: LogLine[], ...errors: unknown[]) => {
    const text = JSON.stringify(logs) + errors.map((error) => String((error as Error)?.message)).join('\n');
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toMatch(/Bearer [A-Za-z0-9]{10,}/);
  };

  test('full study flow: token, patient by NIK (IHS written back), order created, study POSTed, every instance once; a second delivery PUTs to the same id', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy();
    const tokensBefore = tokenRequests();

    const first = fx.delivery(seeded.study);
    const result = await driver(first.context);

    // Patient: found by NIK, the IHS number written back on the LOCAL Patient.
    const patient = await fx.hub.medplum.readResource('Patient', seeded.patient.id);
    expect(patient.identifier).toContainEqual(expect.objectContaining({ system: IHS_SYSTEM, value: PATIENT_IHS }));
    expect(fx.requests('GET /fhir-r4/v1/Patient').at(-1)?.url).toContain('identifier=https://fhir.kemkes.go.id/id/nik%7C9271060312000001');

    // ServiceRequest: created per §5, subject/requester are SATUSEHAT ids, occurrence in UTC.
    const [order] = remoteOf('ServiceRequest', seeded.accession);
    expect(order).toMatchObject({
      resourceType: 'ServiceRequest',
      intent: 'original-order',
      subject: { reference: `Patient/${PATIENT_IHS}` },
      requester: { reference: `Practitioner/${PRACTITIONER_IHS}` },
      occurrenceDateTime: '2025-09-09T02:05:00+00:00',
      category: [{ coding: [{ system: 'http://snomed.info/sct', code: '363679005', display: 'Imaging' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '24648-8', display: 'XR Chest PA upr' }] },
      orderDetail: [{ coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' }], text: 'Modality Code: DX' }],
    });
    expect(order.identifier).toContainEqual({ system: `http://sys-ids.kemkes.go.id/servicerequest/${ORG_ID}`, value: seeded.order.identifier?.[0].value });

    // ImagingStudy: §6, started in UTC, based on the remote order.
    const studies = remoteOf('ImagingStudy', seeded.accession);
    expect(studies).toHaveLength(1);
    expect(studies[0]).toMatchObject({
      status: 'available',
      subject: { reference: `Patient/${PATIENT_IHS}` },
      basedOn: [{ reference: `ServiceRequest/${order.id as string}` }],
      referrer: { reference: `Practitioner/${PRACTITIONER_IHS}` },
      started: '2025-09-09T07:17:30+00:00',
      numberOfInstances: 3,
    });
    expect(studies[0].identifier).toContainEqual({ system: 'urn:dicom:uid', value: `urn:oid:${seeded.studyUid}` });
    const remoteStudyId = studies[0].id as string;

    // Instances: each uploaded once, raw, with the study's id.
    const received = instancesOf(seeded.studyUid);
    expect(received.map((i) => i.sopInstanceUid).sort()).toEqual([...seeded.sopUids].sort());
    expect(received.every((i) => i.imagingStudyId === remoteStudyId && i.receivedAs === 'application/dicom')).toBe(true);
    expect(fx.requests('POST /dicom/v1/dicomWeb/studies').filter((r) => r.headers['x-imagingstudy-id'] === remoteStudyId)).toHaveLength(3);

    // Result, checkpoints and the ids written back locally.
    expect(result.remoteIds).toEqual({ Patient: PATIENT_IHS, ServiceRequest: order.id, ImagingStudy: remoteStudyId });
    expect([...(result.deliveredInstances ?? [])].sort()).toEqual([...seeded.sopUids].sort());
    expect(first.checkpoints.flatMap((c) => c.deliveredInstances ?? []).sort()).toEqual([...seeded.sopUids].sort());
    expect(first.checkpoints.some((c) => c.remoteIds?.ImagingStudy === remoteStudyId)).toBe(true);
    const localStudy = await freshStudy(seeded);
    expect(localStudy.identifier).toContainEqual({ system: REMOTE_STUDY_SYSTEM, value: remoteStudyId });
    const localOrder = await fx.hub.medplum.readResource('ServiceRequest', seeded.order.id);
    expect(localOrder.identifier).toContainEqual({ system: REMOTE_ORDER_SYSTEM, value: order.id });
    expect(result.summary).toContain('created');

    // Second delivery (the write-back made a new version): PUT to the same id, nothing re-uploaded, no second token.
    const second = fx.delivery(localStudy, { progress: { deliveredInstances: new Set(result.deliveredInstances), remoteIds: result.remoteIds } });
    const again = await driver(second.context);
    expect(fx.requests(`PUT /fhir-r4/v1/ImagingStudy/${remoteStudyId}`)).toHaveLength(1);
    expect(remoteOf('ImagingStudy', seeded.accession)).toHaveLength(1);
    expect(remoteOf('ServiceRequest', seeded.accession)).toHaveLength(1);
    expect(instancesOf(seeded.studyUid)).toHaveLength(3);
    expect(fx.requests('POST /dicom/v1/dicomWeb/studies').filter((r) => r.headers['x-imagingstudy-id'] === remoteStudyId)).toHaveLength(3);
    expect(again.remoteIds?.ImagingStudy).toBe(remoteStudyId);
    expect(again.summary).toMatch(/updated.*0 uploaded, 0 already there, 3 delivered before/);
    expect(tokenRequests() - tokensBefore).toBe(1);
    noSecrets([...first.logs, ...second.logs]);
  });

  test('instances SATUSEHAT already has ("Instance already exists") count as delivered', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 2 });
    await driver(fx.delivery(seeded.study).context);
    // A replay that lost its progress: every upload answers "Instance already exists".
    const replay = fx.delivery(await freshStudy(seeded));
    const result = await driver(replay.context);
    expect([...(result.deliveredInstances ?? [])].sort()).toEqual([...seeded.sopUids].sort());
    expect(result.summary).toContain('0 uploaded, 2 already there');
    expect(replay.checkpoints.flatMap((c) => c.deliveredInstances ?? []).sort()).toEqual([...seeded.sopUids].sort());
    expect(instancesOf(seeded.studyUid)).toHaveLength(2);
  });

  test('a second attempt does not re-upload instances recorded in its progress', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 3 });
    const before = fx.requests('POST /dicom/v1/dicomWeb/studies').length;
    const attempt = fx.delivery(seeded.study, { progress: { deliveredInstances: new Set(seeded.sopUids.slice(0, 2)) } });
    const result = await driver(attempt.context);
    expect(fx.requests('POST /dicom/v1/dicomWeb/studies').length - before).toBe(1);
    expect(instancesOf(seeded.studyUid).map((i) => i.sopInstanceUid)).toEqual([seeded.sopUids[2]]);
    expect(attempt.checkpoints.flatMap((c) => c.deliveredInstances ?? [])).toEqual([seeded.sopUids[2]]);
    expect([...(result.deliveredInstances ?? [])].sort()).toEqual([...seeded.sopUids].sort());
  });

  test('the token is cached across deliveries of one driver, and concurrent deliveries share one token request', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const [a, b, c] = await Promise.all([fx.seedStudy({ instances: 1 }), fx.seedStudy({ instances: 1 }), fx.seedStudy({ instances: 1 })]);
    const before = tokenRequests();
    await Promise.all([driver(fx.delivery(a.study).context), driver(fx.delivery(b.study).context)]);
    await driver(fx.delivery(c.study).context);
    expect(tokenRequests() - before).toBe(1);
    // Another cache asks for its own token.
    await createSatusehatDriver({ tokens: new SatusehatTokenCache() })(fx.delivery(await freshStudy(c)).context);
    expect(tokenRequests() - before).toBe(2);
  });

  test('an expired token is replaced once and the call repeated', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    await driver(fx.delivery(seeded.study).context);
    const before = tokenRequests();
    fx.sandbox.faults.expireAllTokens();
    const result = await driver(fx.delivery(await freshStudy(seeded)).context);
    expect(tokenRequests() - before).toBe(1);
    expect(fx.requests().filter((r) => r.status === 401).length).toBeGreaterThan(0);
    expect(result.remoteIds?.ImagingStudy).toBeDefined();
  });

  test('a 401 after re-authenticating is a PermanentError about the credentials', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    fx.sandbox.faults.inject({ route: 'GET /fhir-r4/v1/Patient', kind: 'expired-token', times: 2 });
    const attempt = fx.delivery(seeded.study);
    const error = await driver(attempt.context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/refused a freshly issued access token.*client id rs-simpul-client/);
    noSecrets(attempt.logs, error);
  });

  test('bad client credentials are a PermanentError naming the client, never the secret', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    const attempt = fx.delivery(seeded.study, { destination: fx.destination({ clientSecret: 'wrong-secret-xyz' }) });
    const error = await driver(attempt.context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain(`client id ${CLIENT_ID}`);
    expect((error as Error).message).toContain('either client_id or client_secret combination is unacceptable');
    expect((error as Error).message).not.toContain('wrong-secret-xyz');
    expect(remoteOf('ImagingStudy', seeded.accession)).toHaveLength(0);
  });

  test('a 5xx with a plain-text body is retryable and quotes the text', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    fx.sandbox.faults.inject({ route: 'POST /fhir-r4/v1/ImagingStudy', kind: '5xx', status: 504 });
    const error = await driver(fx.delivery(seeded.study).context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toContain('HTTP 504');
    expect((error as Error).message).toContain('"Gateway Timeout"');
    // The retry goes through; the order created by the failed attempt is found, not duplicated.
    await driver(fx.delivery(seeded.study).context);
    expect(remoteOf('ServiceRequest', seeded.accession)).toHaveLength(1);
    expect(remoteOf('ImagingStudy', seeded.accession)).toHaveLength(1);
  });

  test('a 429 with a short Retry-After is waited out within the attempt', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    fx.sandbox.faults.inject({ route: 'GET /fhir-r4/v1/ImagingStudy', kind: '429', retryAfterSeconds: 1 });
    const result = await driver(fx.delivery(seeded.study, { destination: fx.destination({ maxRetryAfterWaitMs: 5000 }) }).context);
    expect(result.remoteIds?.ImagingStudy).toBeDefined();
    expect(fx.requests('GET /fhir-r4/v1/ImagingStudy').slice(-2).map((r) => r.status)).toEqual([429, 200]);
  });

  test('a 429 with a long Retry-After is a RetryableDeliveryError carrying retryAfterMs', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    fx.sandbox.faults.inject({ route: 'GET /fhir-r4/v1/ImagingStudy', kind: '429', retryAfterSeconds: 120 });
    const error = await driver(fx.delivery(seeded.study, { destination: fx.destination({ maxRetryAfterWaitMs: 5000 }) }).context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterMs).toBe(120_000);
  });

  test('a business-rule refusal is a PermanentError with the platform text', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    fx.sandbox.faults.inject({ route: 'POST /fhir-r4/v1/ImagingStudy', kind: 'business-rule' });
    const error = await driver(fx.delivery(seeded.study).context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain(BUSINESS_RULE_TEXT);
    expect((error as Error).message).toContain('HTTP 403');
  });

  test('SATUSEHAT validation errors name the element (OperationOutcome expression)', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    // A study the hub accepts but SATUSEHAT does not: a date before 2014-06-03.
    const old = { ...seeded.study, started: '2010-01-01T00:00:00+00:00' };
    const error = await driver(fx.delivery(old).context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/HTTP 400.*2014-06-03.*\(at ImagingStudy\.started\)/);
  });

  test('a patient without a NIK is a PermanentError and nothing is written to SATUSEHAT', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ nik: null, instances: 1 });
    const error = await driver(fx.delivery(seeded.study).context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain(`Patient/${seeded.patient.id} has no NIK (https://fhir.kemkes.go.id/id/nik)`);
    expect(remoteOf('ServiceRequest', seeded.accession)).toHaveLength(0);
  });

  test('a NIK unknown to SATUSEHAT is a PermanentError naming only its last 4 digits', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ nik: '3201010101019876', instances: 1 });
    const attempt = fx.delivery(seeded.study);
    const error = await driver(attempt.context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain('NIK ending 9876');
    expect((error as Error).message).not.toContain('3201010101019876');
    expect(JSON.stringify(attempt.logs)).not.toContain('3201010101019876');
  });

  test('with createServiceRequest false, a missing order is retryable, and an order the SIMRS sent is used', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    const destination = fx.destination({ createServiceRequest: false });
    const error = await driver(fx.delivery(seeded.study, { destination }).context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toContain(`SATUSEHAT has no ServiceRequest with accession ${seeded.accession}`);
    expect((error as Error).message).toContain('the SIMRS sends it first');
    expect(remoteOf('ServiceRequest', seeded.accession)).toHaveLength(0);

    const simrsOrder = await fx.remoteServiceRequest(seeded.accession);
    const result = await driver(fx.delivery(seeded.study, { destination }).context);
    expect(result.remoteIds?.ServiceRequest).toBe(simrsOrder);
    expect(remoteOf('ImagingStudy', seeded.accession)[0]).toMatchObject({ basedOn: [{ reference: `ServiceRequest/${simrsOrder}` }] });
  });

  test('a response slower than timeoutMs is retryable', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    fx.sandbox.faults.inject({ route: 'GET /fhir-r4/v1/Patient', kind: 'slow', delayMs: 1500 });
    const error = await driver(fx.delivery(seeded.study, { destination: fx.destination({ timeoutMs: 300 }) }).context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/did not answer .* within 300 ms/);
  });

  test('a routed ServiceRequest is created once, then found; its remote id is written back', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    const first = await driver(fx.delivery(seeded.order).context);
    const [remote] = remoteOf('ServiceRequest', seeded.accession);
    expect(first.remoteIds?.ServiceRequest).toBe(remote.id);
    expect(first.summary).toContain('created');
    const local = await fx.hub.medplum.readResource('ServiceRequest', seeded.order.id);
    expect(local.identifier).toContainEqual({ system: REMOTE_ORDER_SYSTEM, value: remote.id });
    const second: DeliveryResult = await driver(fx.delivery(local).context);
    expect(second.summary).toContain('already on');
    expect(remoteOf('ServiceRequest', seeded.accession)).toHaveLength(1);
  });

  test('a delete is not applicable: SATUSEHAT has no delete', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1, writeFiles: false });
    const before = fx.requests().length;
    const result = await driver(fx.delivery(seeded.study, { interaction: 'delete' }).context);
    expect(result.notApplicable).toBe(true);
    expect(result.summary).toContain('SATUSEHAT has no delete');
    expect(fx.requests().length).toBe(before);
  });

  test('hostile or incomplete studies are refused before anything is sent', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1, writeFiles: false });
    const before = fx.requests().length;
    const traversal: ImagingStudy = { ...seeded.study, series: [{ ...seeded.study.series![0], instance: [{ uid: '../../../etc/passwd', sopClass: { code: 'urn:oid:1.2' } }] }] };
    await expect(driver(fx.delivery(traversal).context)).rejects.toThrow(/not a DICOM UID/);
    const noAccession: ImagingStudy = { ...seeded.study, identifier: seeded.study.identifier?.filter((i) => i.system === 'urn:dicom:uid'), basedOn: undefined };
    const error = await driver(fx.delivery(noAccession).context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain('has no accession number');
    const empty: ImagingStudy = { ...seeded.study, series: [] };
    await expect(driver(fx.delivery(empty).context)).rejects.toBeInstanceOf(RetryableDeliveryError);
    const notPatient: ImagingStudy = { ...seeded.study, subject: { reference: 'Group/abc' } };
    await expect(driver(fx.delivery(notPatient).context)).rejects.toThrow(/subject must reference a Patient/);
    expect(fx.requests().length).toBe(before);
  });

  test('a missing DICOM file fails the attempt as retryable after uploading and checkpointing the others', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 2 });
    const { rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await rm(join(fx.storageDir, 'dicom', seeded.studyUid, `${seeded.studyUid}.1`, `${seeded.sopUids[0]}.dcm`));
    const attempt = fx.delivery(seeded.study);
    const error = await driver(attempt.context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toContain(`${seeded.sopUids[0]}.dcm`);
    expect(attempt.checkpoints.flatMap((c) => c.deliveredInstances ?? [])).toEqual([seeded.sopUids[1]]);
  });

  test('a Patient that already carries its IHS number is not searched again', async () => {
    const driver = createSatusehatDriver({ tokens: new SatusehatTokenCache() });
    const seeded = await fx.seedStudy({ instances: 1 });
    const patient = await fx.hub.medplum.readResource('Patient', seeded.patient.id);
    await fx.hub.medplum.updateResource<Patient>({ ...patient, identifier: [...(patient.identifier ?? []), { system: IHS_SYSTEM, value: PATIENT_IHS }] });
    const searches = fx.requests('GET /fhir-r4/v1/Patient').length;
    await driver(fx.delivery(seeded.study).context);
    expect(fx.requests('GET /fhir-r4/v1/Patient').length).toBe(searches);
    const order = remoteOf('ServiceRequest', seeded.accession)[0] as unknown as ServiceRequest;
    expect(order.subject?.reference).toBe(`Patient/${PATIENT_IHS}`);
  });
});
