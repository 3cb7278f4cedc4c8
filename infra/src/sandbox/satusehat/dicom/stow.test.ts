import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSatusehatSandbox, type SatusehatSandbox, type SatusehatSandboxOptions } from '../create-sandbox.ts';
import { bearer, created, imagingStudy, ORG_A, ORG_B, serviceRequest, tokenFor } from '../testing/sandbox-fixtures.ts';
import { writeTestPart10 } from './test-part10-writer.ts';

const STOW = '/dicom/v1/dicomWeb/studies';
const STUDY = '1.2.826.0.1.3680043.8.498.20';
const SOP_1 = `${STUDY}.1.1`;
const SOP_2 = `${STUDY}.1.2`;

let sandbox: SatusehatSandbox;
let token: string;

async function start(options: SatusehatSandboxOptions = {}): Promise<void> {
  sandbox = await createSatusehatSandbox({ organizations: [ORG_A, ORG_B], ...options });
  token = await tokenFor(sandbox, ORG_A);
}
beforeEach(async () => {
  await start();
});
afterEach(async () => {
  await sandbox.close();
});

function file(sop: string, study = STUDY, transferSyntax: 'explicit-little' | 'implicit-little' = 'explicit-little'): Buffer {
  return writeTestPart10({ sopInstanceUid: sop, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, transferSyntax });
}

function multipart(boundary: string, files: Buffer[]): Buffer {
  return Buffer.concat([
    ...files.flatMap((f) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
}

async function postRaw(bytes: Buffer, headers: Record<string, string> = {}) {
  return sandbox.app.inject({
    method: 'POST',
    url: STOW,
    headers: { ...bearer(token), 'content-type': 'application/dicom', accept: 'application/dicom+json', ...headers },
    payload: bytes,
  });
}

async function postMultipart(files: Buffer[], headers: Record<string, string> = {}) {
  return sandbox.app.inject({
    method: 'POST',
    url: STOW,
    headers: { ...bearer(token), 'content-type': 'multipart/related; type="application/dicom"; boundary=DICOMwebBoundary', ...headers },
    payload: multipart('DICOMwebBoundary', files),
  });
}

async function storedImagingStudy(orgToken = token, org = ORG_A): Promise<string> {
  const sr = await created(sandbox, orgToken, serviceRequest(org.id, 'ACC-STOW'));
  const study = await created(sandbox, orgToken, imagingStudy({ orgId: org.id, accession: 'ACC-STOW', studyUid: STUDY, serviceRequestId: sr.id as string }));
  return study.id as string;
}

describe('POST /dicom/v1/dicomWeb/studies', () => {
  test('raw application/dicom is stored and referenced in a DICOM JSON answer', async () => {
    const bytes = file(SOP_1);
    const response = await postRaw(bytes);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/dicom\+json/);
    const body = response.json();
    expect(body['00081190']).toEqual({ vr: 'UR', Value: [`http://localhost:80/dicom/v1/dicomWeb/studies/${STUDY}`] });
    expect(body['00081199'].Value).toEqual([
      {
        '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.1.1'] },
        '00081155': { vr: 'UI', Value: [SOP_1] },
        '00081190': { vr: 'UR', Value: [`http://localhost:80/dicom/v1/dicomWeb/studies/${STUDY}/series/${STUDY}.1/instances/${SOP_1}`] },
      },
    ]);
    expect(body).not.toHaveProperty('00081198');

    const [instance] = sandbox.store.instances();
    expect(instance).toMatchObject({ sopInstanceUid: SOP_1, studyInstanceUid: STUDY, organizationId: ORG_A.id, receivedAs: 'application/dicom' });
    expect(instance.bytes.equals(bytes)).toBe(true);
    expect(sandbox.store.requests().at(-1)).toMatchObject({ path: STOW, status: 200, bodyBytes: bytes.length });
  });

  test('multipart/related with two instances stores both', async () => {
    const response = await postMultipart([file(SOP_1), file(SOP_2, STUDY, 'implicit-little')]);
    expect(response.statusCode).toBe(200);
    expect(response.json()['00081199'].Value.map((item: Record<string, { Value: string[] }>) => item['00081155'].Value[0])).toEqual([SOP_1, SOP_2]);
    expect(sandbox.store.instances().map((i) => [i.sopInstanceUid, i.receivedAs, i.transferSyntaxUid])).toEqual([
      [SOP_1, 'multipart/related', '1.2.840.10008.1.2.1'],
      [SOP_2, 'multipart/related', '1.2.840.10008.1.2'],
    ]);
  });

  test('a repeated SOP Instance UID answers 409 with text containing "Instance already exists"', async () => {
    await postRaw(file(SOP_1));
    const again = await postRaw(file(SOP_1));
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Instance already exists');
    expect(again.json()['00081198'].Value[0]).toMatchObject({ '00081155': { Value: [SOP_1] }, '00081197': { vr: 'US', Value: [0x0111] } });
    expect(sandbox.store.instances()).toHaveLength(1);
  });

  test('the duplicate status can be 200 instead', async () => {
    await sandbox.close();
    await start({ behaviour: { duplicateInstanceStatus: 200 } });
    await postRaw(file(SOP_1));
    const again = await postRaw(file(SOP_1));
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('Instance already exists');
  });

  test('one new and one repeated instance: 202, the new one stored, the old one reported', async () => {
    await postRaw(file(SOP_1));
    const response = await postMultipart([file(SOP_1), file(SOP_2)]);
    expect(response.statusCode).toBe(202);
    expect(response.json()['00081199'].Value).toHaveLength(1);
    expect(response.json()['00081198'].Value).toHaveLength(1);
    expect(response.body).toContain('Instance already exists');
    expect(sandbox.store.instances().map((i) => i.sopInstanceUid)).toEqual([SOP_1, SOP_2]);
  });

  test('the same instance twice in one request: stored once, reported once', async () => {
    const response = await postMultipart([file(SOP_1), file(SOP_1)]);
    expect(response.statusCode).toBe(202);
    expect(sandbox.store.instances()).toHaveLength(1);
  });

  test.each([
    ['bytes that are not DICOM', Buffer.from('definitely not dicom')],
    ['an empty body', Buffer.alloc(0)],
    ['a file cut short', file(SOP_1).subarray(0, 200)],
  ])('%s is a 400 and nothing is stored', async (_name, bytes) => {
    const response = await postRaw(bytes);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'format' }] });
    expect(sandbox.store.instances()).toEqual([]);
  });

  test('one unreadable part refuses the whole multipart request', async () => {
    const response = await postMultipart([file(SOP_1), Buffer.from('garbage')]);
    expect(response.statusCode).toBe(400);
    expect(response.json().issue[0].details.text).toMatch(/^part 2: /);
    expect(sandbox.store.instances()).toEqual([]);
  });

  test('a malformed multipart body is a 400', async () => {
    const response = await sandbox.app.inject({
      method: 'POST',
      url: STOW,
      headers: { ...bearer(token), 'content-type': 'multipart/related; type="application/dicom"; boundary=abc' },
      payload: Buffer.concat([Buffer.from('--abc\r\n\r\n'), file(SOP_1)]),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().issue[0].details.text).toContain('no closing');
  });

  test.each([
    ['multipart of another type', 'multipart/related; type="application/dicom+xml"; boundary=DICOMwebBoundary'],
    ['JSON', 'application/json'],
    ['an unknown type', 'image/jpeg'],
  ])('%s is a 415', async (_name, contentType) => {
    const response = await sandbox.app.inject({
      method: 'POST',
      url: STOW,
      headers: { ...bearer(token), 'content-type': contentType },
      payload: contentType === 'application/json' ? '{}' : multipart('DICOMwebBoundary', [file(SOP_1)]),
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().resourceType).toBe('OperationOutcome');
    expect(sandbox.store.instances()).toEqual([]);
  });

  test('a part declared as something other than application/dicom is a 415', async () => {
    const payload = Buffer.concat([Buffer.from('--b\r\nContent-Type: image/jpeg\r\n\r\n'), file(SOP_1), Buffer.from('\r\n--b--')]);
    const response = await sandbox.app.inject({ method: 'POST', url: STOW, headers: { ...bearer(token), 'content-type': 'multipart/related; boundary=b' }, payload });
    expect(response.statusCode).toBe(415);
  });
});

describe('X-ImagingStudy-ID', () => {
  test('an existing ImagingStudy of the same study is accepted and remembered', async () => {
    const id = await storedImagingStudy();
    const response = await postRaw(file(SOP_1), { 'x-imagingstudy-id': id });
    expect(response.statusCode).toBe(200);
    expect(sandbox.store.instances()[0].imagingStudyId).toBe(id);
  });

  test('an ImagingStudy that does not exist is a 404', async () => {
    const response = await postRaw(file(SOP_1), { 'x-imagingstudy-id': 'no-such-study' });
    expect(response.statusCode).toBe(404);
    expect(sandbox.store.instances()).toEqual([]);
  });

  test('an instance of another study is a 400', async () => {
    const id = await storedImagingStudy();
    const response = await postMultipart([file(SOP_1), file('1.2.3.4.5.6', '1.2.3.4.5')], { 'x-imagingstudy-id': id });
    expect(response.statusCode).toBe(400);
    expect(response.json().issue[0].details.text).toContain('X-ImagingStudy-ID');
    expect(sandbox.store.instances()).toEqual([]);
  });

  test("another organisation's ImagingStudy is refused by the business rule", async () => {
    const id = await storedImagingStudy();
    const tokenB = await tokenFor(sandbox, ORG_B);
    const response = await postRaw(file(SOP_1), { ...bearer(tokenB), 'x-imagingstudy-id': id });
    expect(response.statusCode).toBe(403);
    expect(response.json().issue[0].details.text).toBe('resource cannot be accessed due to business rule');
  });

  test('the study in the URL must match too', async () => {
    const response = await sandbox.app.inject({
      method: 'POST',
      url: `${STOW}/1.2.999`,
      headers: { ...bearer(token), 'content-type': 'application/dicom' },
      payload: file(SOP_1),
    });
    expect(response.statusCode).toBe(400);
    const matching = await sandbox.app.inject({ method: 'POST', url: `${STOW}/${STUDY}`, headers: { ...bearer(token), 'content-type': 'application/dicom' }, payload: file(SOP_1) });
    expect(matching.statusCode).toBe(200);
  });
});
