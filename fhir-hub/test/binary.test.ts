import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { binaryBlobKey } from '../src/binary/binary-content.ts';
import { BlobStore } from '../src/binary/blob-store.ts';
import { createTestHub, type TestHub } from './support/test-hub.ts';

describe('Binary', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  const jpegLike = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5000, 7), Buffer.from([0xff, 0xd9])]);

  test('raw bytes in, raw bytes out with their content type; the JSON row holds no bytes', async () => {
    const created = await hub.app.inject({ method: 'POST', url: '/fhir/R4/Binary', headers: { 'content-type': 'image/jpeg' }, payload: jpegLike });
    expect(created.statusCode).toBe(201);
    const binary = JSON.parse(created.body);
    expect(binary.resourceType).toBe('Binary');
    expect(binary.contentType).toBe('image/jpeg');
    expect(binary.data).toBeUndefined();

    const raw = await hub.app.inject({ method: 'GET', url: `/fhir/R4/Binary/${binary.id}`, headers: { accept: 'image/jpeg' } });
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.compare(raw.rawPayload, jpegLike)).toBe(0);

    const any = await hub.app.inject({ method: 'GET', url: `/fhir/R4/Binary/${binary.id}`, headers: { accept: '*/*' } });
    expect(Buffer.compare(any.rawPayload, jpegLike)).toBe(0);

    const asFhir = await hub.request('GET', `/fhir/R4/Binary/${binary.id}`, undefined, { accept: 'application/fhir+json' });
    expect(asFhir.body.resourceType).toBe('Binary');
    expect(Buffer.from(asFhir.body.data, 'base64').equals(jpegLike)).toBe(true);

    const [row] = await hub.db.sql<{ content: string }[]>`SELECT content FROM resource WHERE id = ${binary.id}`;
    expect(row.content.length).toBeLessThan(500);
    const onDisk = await readFile(new BlobStore(hub.storageDir).pathOf(binaryBlobKey(binary.id, binary.meta.versionId)));
    expect(onDisk.equals(jpegLike)).toBe(true);
  });

  test('a FHIR JSON Binary with base64 data is stored in the blob store too', async () => {
    const created = await hub.request('POST', '/fhir/R4/Binary', { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('halo dunia').toString('base64') });
    expect(created.status).toBe(201);
    expect(created.body.data).toBeUndefined();
    const raw = await hub.app.inject({ method: 'GET', url: `/fhir/R4/Binary/${created.body.id}`, headers: { accept: 'text/plain' } });
    expect(raw.body).toBe('halo dunia');
  });

  test('PUT raw bytes makes a new version and vread serves each version’s bytes', async () => {
    const v1 = JSON.parse((await hub.app.inject({ method: 'POST', url: '/fhir/R4/Binary', headers: { 'content-type': 'text/plain' }, payload: 'one' })).body);
    const v2res = await hub.app.inject({ method: 'PUT', url: `/fhir/R4/Binary/${v1.id}`, headers: { 'content-type': 'text/plain' }, payload: 'two' });
    expect(v2res.statusCode).toBe(200);
    const v2 = JSON.parse(v2res.body);
    expect((await hub.app.inject({ method: 'GET', url: `/fhir/R4/Binary/${v1.id}` })).body).toBe('two');
    expect((await hub.app.inject({ method: 'GET', url: `/fhir/R4/Binary/${v1.id}/_history/${v1.meta.versionId}` })).body).toBe('one');
    expect(v2.meta.versionId).not.toBe(v1.meta.versionId);
  });

  test('a raw upload over maxBinaryBytes is 413', async () => {
    const res = await hub.app.inject({ method: 'POST', url: '/fhir/R4/Binary', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(5 * 1024 * 1024) });
    expect(res.statusCode).toBe(413);
  });
});
