import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSatusehatSandbox, type SatusehatSandbox } from '../create-sandbox.ts';
import { writeTestPart10 } from '../dicom/test-part10-writer.ts';
import { imagingStudy, ORG_A, PATIENT_IHS, PATIENT_NIK, serviceRequest } from '../testing/sandbox-fixtures.ts';

/**
 * The sandbox on a real socket, driven with fetch the way the SATUSEHAT bot and the official router
 * drive the platform (section 7's flow), and steered through the `/_sandbox/` control API as a
 * separately running `simpul sandbox satusehat` would be.
 */

const STUDY = '1.2.826.0.1.3680043.8.498.30';
let sandbox: SatusehatSandbox;
let base: string;

beforeAll(async () => {
  sandbox = await createSatusehatSandbox({ organizations: [ORG_A] });
  base = await sandbox.listen({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});

async function token(sandboxUrl = base): Promise<string> {
  const response = await fetch(`${sandboxUrl}/oauth2/v1/accesstoken?grant_type=client_credentials`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: ORG_A.clientId, client_secret: ORG_A.clientSecret }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function fhir(path: string, accessToken: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${base}/fhir-r4/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function control(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${base}/_sandbox${path}`, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

describe('over HTTP', () => {
  test('url is the listening address', () => {
    expect(sandbox.url).toBe(base);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("the router's flow: token, patient, ServiceRequest by ACSN, ImagingStudy, two instances, a duplicate", async () => {
    const accessToken = await token();
    // fetch sends the | of the query unencoded
    const patients = await fhir(`/Patient?identifier=https://fhir.kemkes.go.id/id/nik|${PATIENT_NIK}`, accessToken);
    expect(((await patients.json()) as { entry: { resource: { id: string } }[] }).entry[0].resource.id).toBe(PATIENT_IHS);

    const sr = await fhir('/ServiceRequest', accessToken, { method: 'POST', body: serviceRequest(ORG_A.id, 'ACC-H1') });
    expect(sr.status).toBe(201);
    const srId = ((await sr.json()) as { id: string }).id;
    const found = await fhir(`/ServiceRequest?identifier=http://sys-ids.kemkes.go.id/acsn/${ORG_A.id}%7CACC-H1&_sort=-_lastUpdated&_count=1`, accessToken);
    expect(await found.json()).toMatchObject({ total: 1, entry: [{ resource: { id: srId, subject: { reference: `Patient/${PATIENT_IHS}` } } }] });

    const study = await fhir('/ImagingStudy', accessToken, {
      method: 'POST',
      body: imagingStudy({ orgId: ORG_A.id, accession: 'ACC-H1', studyUid: STUDY, serviceRequestId: srId, sopUids: [`${STUDY}.1.1`, `${STUDY}.1.2`] }),
    });
    expect(study.status).toBe(201);
    const studyId = ((await study.json()) as { id: string }).id;

    const boundary = 'simpulBoundary7';
    const files = [`${STUDY}.1.1`, `${STUDY}.1.2`].map((sop) => writeTestPart10({ sopInstanceUid: sop, studyInstanceUid: STUDY }));
    const multipart = Buffer.concat([
      ...files.flatMap((file) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), file, Buffer.from('\r\n')]),
      Buffer.from(`--${boundary}--`),
    ]);
    const stow = await fetch(`${base}/dicom/v1/dicomWeb/studies`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: 'application/dicom+json',
        'x-imagingstudy-id': studyId,
      },
      body: multipart,
    });
    expect(stow.status).toBe(200);

    const again = await fetch(`${base}/dicom/v1/dicomWeb/studies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/dicom', 'x-imagingstudy-id': studyId },
      body: files[0],
    });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('Instance already exists');

    const instances = (await (await control('/instances')).json()) as { instances: { sopInstanceUid: string; imagingStudyId: string; size: number }[] };
    expect(instances.instances).toEqual([
      expect.objectContaining({ sopInstanceUid: `${STUDY}.1.1`, imagingStudyId: studyId, size: files[0].length }),
      expect.objectContaining({ sopInstanceUid: `${STUDY}.1.2`, imagingStudyId: studyId, size: files[1].length }),
    ]);
    const resources = (await (await control('/resources/ImagingStudy')).json()) as { resources: { id: string }[] };
    expect(resources.resources.map((r) => r.id)).toEqual([studyId]);
  });

  test('a token really expires after its lifetime (1 s here)', async () => {
    const shortLived = await createSatusehatSandbox({ organizations: [ORG_A], tokenTtlSeconds: 1 });
    try {
      const url = await shortLived.listen();
      const accessToken = await token(url);
      const read = (): Promise<Response> => fetch(`${url}/fhir-r4/v1/Patient/${PATIENT_IHS}`, { headers: { authorization: `Bearer ${accessToken}` } });
      const fresh = await read();
      // On a very slow machine the first read may already be late; either way it must be 200 or "expired".
      expect([200, 401]).toContain(fresh.status);
      await delay(1100);
      const expired = await read();
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { issue: { details: { text: string } }[] }).issue[0].details.text).toBe('Access token expired');
    } finally {
      await shortLived.close();
    }
  });

  test('faults are armed over HTTP and fire exactly `times` times', async () => {
    const armed = await control('/faults', { method: 'POST', body: { route: 'GET /fhir-r4/v1/Patient/*', kind: '429', times: 2, retryAfterSeconds: 3 } });
    expect(armed.status).toBe(201);
    expect(await armed.json()).toMatchObject({ kind: '429', remaining: 2 });
    const accessToken = await token();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fhir(`/Patient/${PATIENT_IHS}`, accessToken);
      statuses.push(response.status);
      if (response.status === 429) expect(response.headers.get('retry-after')).toBe('3');
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([429, 429, 200]);
    expect(await (await control('/faults')).json()).toEqual({ faults: [] });
  });

  test('an invalid fault is a 400 and arms nothing', async () => {
    const response = await control('/faults', { method: 'POST', body: { route: '/x', kind: 'meteor' } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { issue: { details: { text: string } }[] }).issue[0].details.text).toContain('kind');
    expect(await (await control('/faults')).json()).toEqual({ faults: [] });
  });

  test('DELETE /faults disarms everything', async () => {
    await control('/faults', { method: 'POST', body: { route: '/x', kind: '5xx', times: 3 } });
    expect((await control('/faults', { method: 'DELETE' })).status).toBe(204);
    expect(await (await control('/faults')).json()).toEqual({ faults: [] });
  });

  test('POST /tokens/expire expires tokens already issued', async () => {
    const accessToken = await token();
    expect((await control('/tokens/expire', { method: 'POST' })).status).toBe(204);
    expect((await fhir(`/Patient/${PATIENT_IHS}`, accessToken)).status).toBe(401);
  });

  test('POST /seed adds a patient; invalid seed data is a 400', async () => {
    const seeded = await control('/seed', { method: 'POST', body: { patients: [{ ihsNumber: 'P01234567890', nik: '3171010101010001', name: 'Budi' }] } });
    expect(seeded.status).toBe(204);
    expect((await fhir('/Patient/P01234567890', await token())).status).toBe(200);
    expect((await control('/seed', { method: 'POST', body: { patients: [{ ihsNumber: 'P1', nik: 'short', name: 'X' }] } })).status).toBe(400);
  });

  test('GET /requests lists what was received, credentials masked, control calls left out', async () => {
    const { requests } = (await (await control('/requests')).json()) as { requests: { path: string; method: string; status: number; headers: Record<string, string>; body?: unknown }[] };
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.some((r) => r.path.startsWith('/_sandbox'))).toBe(false);
    const tokenRequest = requests.find((r) => r.path === '/oauth2/v1/accesstoken');
    expect(tokenRequest).toMatchObject({ method: 'POST', status: 200, body: { client_id: ORG_A.clientId, client_secret: '***' } });
    expect(requests.find((r) => r.path === '/dicom/v1/dicomWeb/studies')?.headers.authorization).toBe('Bearer ***');
    expect(JSON.stringify(requests)).not.toContain(ORG_A.clientSecret);
  });

  test('POST /reset forgets what was received but keeps seed data and tokens', async () => {
    const accessToken = await token();
    expect((await control('/reset', { method: 'POST' })).status).toBe(204);
    expect(await (await control('/instances')).json()).toEqual({ instances: [] });
    expect(await (await control('/resources/ImagingStudy')).json()).toEqual({ resources: [] });
    expect(await (await control('/requests')).json()).toEqual({ requests: [] });
    expect((await fhir(`/Patient/${PATIENT_IHS}`, accessToken)).status).toBe(200);
    expect((await (await control('/resources/Organization')).json()) as unknown).toMatchObject({ resources: [{ id: ORG_A.id }] });
  });

  test('an unknown path is a 404 OperationOutcome', async () => {
    const response = await fetch(`${base}/fhir/R4/Patient`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
});
