import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

describe('FHIR CRUD over HTTP', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  test('create answers 201 with id, meta, ETag and Location, and ignores a client id', async () => {
    const res = await hub.request('POST', '/fhir/R4/Patient', patient({ id: 'client-chosen' }));
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.id).not.toBe('client-chosen');
    expect(res.body.meta.versionId).toBeTruthy();
    expect(new Date(res.body.meta.lastUpdated).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(res.headers.etag).toBe(`W/"${res.body.meta.versionId}"`);
    expect(res.headers.location).toBe(`http://hub.test/fhir/R4/Patient/${res.body.id}/_history/${res.body.meta.versionId}`);
  });

  test('read returns what was stored; unknown id is 404', async () => {
    const created = (await hub.request('POST', '/fhir/R4/Patient', patient())).body;
    const read = await hub.request('GET', `/fhir/R4/Patient/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created);
    const missing = await hub.request('GET', '/fhir/R4/Patient/does-not-exist');
    expect(missing.status).toBe(404);
    expect(missing.body.resourceType).toBe('OperationOutcome');
  });

  test('update makes a new version; vread returns each version; unchanged update keeps the version', async () => {
    const v1 = (await hub.request('POST', '/fhir/R4/Patient', patient())).body;
    const v2res = await hub.request('PUT', `/fhir/R4/Patient/${v1.id}`, { ...v1, gender: 'female' });
    expect(v2res.status).toBe(200);
    const v2 = v2res.body;
    expect(v2.meta.versionId).not.toBe(v1.meta.versionId);
    expect(v2.gender).toBe('female');
    expect((await hub.request('GET', `/fhir/R4/Patient/${v1.id}/_history/${v1.meta.versionId}`)).body.gender).toBe('male');
    expect((await hub.request('GET', `/fhir/R4/Patient/${v1.id}/_history/${v2.meta.versionId}`)).body.gender).toBe('female');
    const same = await hub.request('PUT', `/fhir/R4/Patient/${v1.id}`, { ...v2, meta: undefined });
    expect(same.status).toBe(200);
    expect(same.body.meta.versionId).toBe(v2.meta.versionId);
    const history = (await hub.request('GET', `/fhir/R4/Patient/${v1.id}/_history`)).body;
    expect(history.total).toBe(2);
  });

  test('PUT to a new id creates the resource with that id (update as create)', async () => {
    const res = await hub.request('PUT', '/fhir/R4/Patient/mrn-0042', patient({ id: 'mrn-0042' }));
    expect([200, 201]).toContain(res.status);
    expect(res.body.id).toBe('mrn-0042');
    expect((await hub.request('GET', '/fhir/R4/Patient/mrn-0042')).status).toBe(200);
  });

  test('If-Match with a stale version is 412 and changes nothing', async () => {
    const v1 = (await hub.request('POST', '/fhir/R4/Patient', patient())).body;
    const v2 = (await hub.request('PUT', `/fhir/R4/Patient/${v1.id}`, { ...v1, gender: 'female' })).body;
    const stale = await hub.request('PUT', `/fhir/R4/Patient/${v1.id}`, { ...v1, gender: 'other' }, { 'if-match': `W/"${v1.meta.versionId}"` });
    expect(stale.status).toBe(412);
    const current = (await hub.request('GET', `/fhir/R4/Patient/${v1.id}`)).body;
    expect(current.gender).toBe('female');
    const fresh = await hub.request('PUT', `/fhir/R4/Patient/${v1.id}`, { ...v2, gender: 'other' }, { 'if-match': `W/"${v2.meta.versionId}"` });
    expect(fresh.status).toBe(200);
    expect(fresh.body.gender).toBe('other');
  });

  test('delete keeps history; read after delete is 410; vread of the old version still works', async () => {
    const v1 = (await hub.request('POST', '/fhir/R4/Patient', patient())).body;
    const del = await hub.request('DELETE', `/fhir/R4/Patient/${v1.id}`);
    expect(del.status).toBe(200);
    expect((await hub.request('GET', `/fhir/R4/Patient/${v1.id}`)).status).toBe(410);
    expect((await hub.request('GET', `/fhir/R4/Patient/${v1.id}/_history/${v1.meta.versionId}`)).status).toBe(200);
    const history = (await hub.request('GET', `/fhir/R4/Patient/${v1.id}/_history`)).body;
    expect(history.type).toBe('history');
    expect(history.entry).toHaveLength(2);
    expect(history.entry[0].request.method).toBe('DELETE');
    expect(history.entry[0].resource).toBeUndefined();
    expect(history.entry[1].resource.id).toBe(v1.id);
    expect((await hub.request('DELETE', `/fhir/R4/Patient/${v1.id}`)).status).toBe(200);
    expect((await hub.request('DELETE', '/fhir/R4/Patient/never-was')).status).toBe(404);
  });

  test('JSON Patch and FHIRPath Patch', async () => {
    const v1 = (await hub.request('POST', '/fhir/R4/Patient', patient())).body;
    const jsonPatch = await hub.app.inject({
      method: 'PATCH',
      url: `/fhir/R4/Patient/${v1.id}`,
      headers: { 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([{ op: 'replace', path: '/gender', value: 'female' }, { op: 'add', path: '/active', value: true }]),
    });
    expect(jsonPatch.statusCode).toBe(200);
    expect(JSON.parse(jsonPatch.body)).toMatchObject({ gender: 'female', active: true });

    const fhirPathPatch = await hub.request('PATCH', `/fhir/R4/Patient/${v1.id}`, {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'operation',
          part: [
            { name: 'type', valueCode: 'replace' },
            { name: 'path', valueString: 'Patient.birthDate' },
            { name: 'value', valueDate: '1999-09-09' },
          ],
        },
      ],
    });
    expect(fhirPathPatch.status).toBe(200);
    expect(fhirPathPatch.body.birthDate).toBe('1999-09-09');

    const badTest = await hub.app.inject({
      method: 'PATCH',
      url: `/fhir/R4/Patient/${v1.id}`,
      headers: { 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([{ op: 'test', path: '/gender', value: 'male' }]),
    });
    expect(badTest.statusCode).toBe(400);
    const invalidResult = await hub.app.inject({
      method: 'PATCH',
      url: `/fhir/R4/Patient/${v1.id}`,
      headers: { 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([{ op: 'replace', path: '/gender', value: 'xx' }]),
    });
    expect(invalidResult.statusCode).toBe(400);
    expect((await hub.request('GET', `/fhir/R4/Patient/${v1.id}`)).body.gender).toBe('female');
  });

  test('type and system history with _since and _count', async () => {
    const before = new Date().toISOString();
    const a = (await hub.request('POST', '/fhir/R4/Organization', { resourceType: 'Organization', name: 'RS Sehat' })).body;
    await hub.request('PUT', `/fhir/R4/Organization/${a.id}`, { ...a, name: 'RS Sehat Sentosa' });
    await hub.request('POST', '/fhir/R4/Location', { resourceType: 'Location', name: 'Radiologi' });
    const typeHistory = (await hub.request('GET', `/fhir/R4/Organization/_history?_since=${encodeURIComponent(before)}`)).body;
    expect(typeHistory.entry.map((e: any) => e.resource.name)).toEqual(['RS Sehat Sentosa', 'RS Sehat']);
    const systemHistory = (await hub.request('GET', `/fhir/R4/_history?_since=${encodeURIComponent(before)}&_count=2`)).body;
    expect(systemHistory.entry).toHaveLength(2);
    expect(systemHistory.total).toBe(3);
    expect(systemHistory.link.find((l: any) => l.relation === 'next')).toBeTruthy();
    expect((await hub.request('GET', '/fhir/R4/_history?_since=not-a-date')).status).toBe(400);
  });
});

describe('extra resource types', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  test('Medplum Bot resources are stored, validated and searchable by name', async () => {
    const created = await hub.request('POST', '/fhir/R4/Bot', { resourceType: 'Bot', name: 'satusehat', description: 'forwards to SATUSEHAT' });
    expect(created.status).toBe(201);
    const found = await hub.request('GET', '/fhir/R4/Bot?name=satusehat');
    expect(found.body.entry.map((e: any) => e.resource.id)).toEqual([created.body.id]);
    const invalid = await hub.request('POST', '/fhir/R4/Bot', { resourceType: 'Bot', name: 'x', timeout: 'soon' });
    expect(invalid.status).toBe(400);
  });

  test('abstract and Medplum-internal types are not resource types here', async () => {
    expect((await hub.request('POST', '/fhir/R4/DomainResource', { resourceType: 'DomainResource' })).status).toBe(404);
    expect((await hub.request('POST', '/fhir/R4/Project', { resourceType: 'Project', name: 'x' })).status).toBe(404);
  });
});
