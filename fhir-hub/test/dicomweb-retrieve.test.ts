import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

/**
 * WADO-RS retrieval of original instances: the bytes the receiver stored, behind the same bearer token
 * and scopes as FHIR, only for instances an ImagingStudy the caller can read lists, with UIDs checked
 * before they reach a path.
 */

const STUDY = '1.2.826.0.1.3680043.10.5005';
const SERIES = `${STUDY}.1`;
const SOP = `${SERIES}.1`;
const EXPLICIT = '1.2.840.10008.1.2.1';

/** A small Part 10 file as the receiver writes them: preamble, DICM, a file meta group, a data set. */
function part10(transferSyntax: string, datasetBytes: Buffer): Buffer {
  const element = (number: number, vr: string, value: Buffer): Buffer => {
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0x0002, 0);
    header.writeUInt16LE(number, 2);
    header.write(vr, 4, 'latin1');
    header.writeUInt16LE(value.length, 6);
    return Buffer.concat([header, value]);
  };
  const uid = (text: string) => Buffer.from(text.length % 2 ? `${text}\0` : text, 'latin1');
  const meta = Buffer.concat([element(0x0002, 'UI', uid('1.2.840.10008.5.1.4.1.1.2')), element(0x0003, 'UI', uid(SOP)), element(0x0010, 'UI', uid(transferSyntax))]);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(meta.length, 8);
  const prefix = Buffer.alloc(132);
  prefix.write('DICM', 128, 'latin1');
  return Buffer.concat([prefix, groupLength, meta, datasetBytes]);
}

describe('GET /dicomweb/studies/{study}/series/{series}/instances/{sop}', () => {
  let hub: TestHub;
  let file: Buffer;
  const url = `/dicomweb/studies/${STUDY}/series/${SERIES}/instances/${SOP}`;

  beforeAll(async () => {
    hub = await createTestHub();
    const created = await hub.request('POST', '/fhir/R4/Patient', patient());
    expect(created.status).toBe(201);
    const study = await hub.request('POST', '/fhir/R4/ImagingStudy', {
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: { reference: `Patient/${created.body.id}` },
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${STUDY}` }],
      series: [
        {
          uid: SERIES,
          modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
          instance: [
            { uid: SOP, sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
            { uid: `${SERIES}.2`, sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
          ],
        },
      ],
    });
    expect(study.status).toBe(201);
    file = part10(EXPLICIT, Buffer.from('0800160055491a00312e322e3834302e31303030382e352e312e342e312e312e3200', 'hex'));
    await mkdir(join(hub.storageDir, 'dicom', STUDY, SERIES), { recursive: true });
    await writeFile(join(hub.storageDir, 'dicom', STUDY, SERIES, `${SOP}.dcm`), file);
    // A file on disk that no ImagingStudy lists (an orphan, or an instance not ingested yet).
    await writeFile(join(hub.storageDir, 'dicom', STUDY, SERIES, `${SERIES}.3.dcm`), file);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers the stored bytes as application/dicom with their transfer syntax', async () => {
    const response = await hub.request('GET', url, undefined, { accept: 'application/dicom' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(`application/dicom; transfer-syntax=${EXPLICIT}`);
    expect(Number(response.headers['content-length'])).toBe(file.length);
    expect(Buffer.compare(response.raw, file)).toBe(0);
    const anything = await hub.request('GET', url, undefined, { accept: '*/*' });
    expect(Buffer.compare(anything.raw, file)).toBe(0);
  });

  it('answers multipart/related; type="application/dicom" when asked', async () => {
    const response = await hub.request('GET', url, undefined, { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' });
    expect(response.status).toBe(200);
    const type = String(response.headers['content-type']);
    expect(type).toMatch(/^multipart\/related; type="application\/dicom"; boundary=/);
    const boundary = type.split('boundary=')[1];
    const body = response.raw;
    const head = `--${boundary}\r\nContent-Type: application/dicom; transfer-syntax=${EXPLICIT}\r\nContent-Length: ${file.length}\r\n\r\n`;
    expect(body.subarray(0, head.length).toString('latin1')).toBe(head);
    expect(Buffer.compare(body.subarray(head.length, head.length + file.length), file)).toBe(0);
    expect(body.subarray(head.length + file.length).toString('latin1')).toBe(`\r\n--${boundary}--\r\n`);
  });

  it('refuses with 406 a transfer syntax it would have to transcode to, or a media type it does not serve', async () => {
    const jpeg = await hub.request('GET', url, undefined, { accept: 'application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50' });
    expect(jpeg.status).toBe(406);
    expect(jpeg.body.issue[0].details.text).toMatch(/stored in transfer syntax 1\.2\.840\.10008\.1\.2\.1/);
    expect((await hub.request('GET', url, undefined, { accept: 'application/json' })).status).toBe(406);
  });

  it('needs a bearer token, and one that may read ImagingStudy', async () => {
    expect((await hub.request('GET', url, undefined, { authorization: '', accept: 'application/dicom' })).status).toBe(401);
    const patientsOnly = await hub.serviceToken('system/Patient.read');
    const refused = await hub.request('GET', url, undefined, { authorization: `Bearer ${patientsOnly}`, accept: 'application/dicom' });
    expect(refused.status).toBe(403);
    const studies = await hub.serviceToken('system/ImagingStudy.read');
    const allowed = await hub.request('GET', url, undefined, { authorization: `Bearer ${studies}`, accept: 'application/dicom' });
    expect(allowed.status).toBe(200);
  });

  it('answers 404 for an instance no readable study lists, for a study that does not exist, and for a listed instance without a file', async () => {
    expect((await hub.request('GET', `/dicomweb/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.3`)).status).toBe(404);
    expect((await hub.request('GET', `/dicomweb/studies/1.2.3/series/1.2.3.1/instances/1.2.3.1.1`)).status).toBe(404);
    const missing = await hub.request('GET', `/dicomweb/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.2`);
    expect(missing.status).toBe(404);
    expect(missing.body.resourceType).toBe('OperationOutcome');
  });

  it('refuses UIDs that are not digits and dots before they reach the file system', async () => {
    for (const bad of ['..', '1..2', '1.2.', 'abc', `${'1'.repeat(65)}`, '%2e%2e', '1.2%2f..%2f..']) {
      const response = await hub.request('GET', `/dicomweb/studies/${bad}/series/${SERIES}/instances/${SOP}`);
      expect([400, 404], bad).toContain(response.status);
      expect(response.body?.resourceType, bad).toBe('OperationOutcome');
    }
    const traversal = await hub.request('GET', `/dicomweb/studies/${STUDY}/series/..%2f..%2f..%2fetc/instances/passwd`);
    expect(traversal.status).toBe(400);
  });
});
