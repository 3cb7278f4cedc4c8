import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctGradient } from '../src/dicom/data/testing/synthetic-images.ts';
import { writeDicomFile } from '../src/dicom/data/write-dicom-file.ts';
import { STORE_STATUS } from '../src/dicom/scp/store-status.ts';
import { RawScu, pdu, type StoreAnswer } from './dicom-raw-scu.ts';
import { CapturingPublisher, SCP_AE, startTestScp, storescu, tempDir, type TestScp } from './dicom-support.ts';
import { writeFile } from 'node:fs/promises';

/**
 * Hostile and broken input, sent with a raw Upper Layer client: each gets the right status or
 * rejection, is logged with the reason, and neither the receiver nor another association suffers.
 */

const CT = '1.2.840.10008.5.1.4.1.1.2';
const SR = '1.2.840.10008.5.1.4.1.1.88.22';
const EXPLICIT = '1.2.840.10008.1.2.1';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const STUDY = '1.2.826.0.1.3680043.10.2002';
let sop = 0;

/** The data set (no file meta) of a 64×64 CT, explicit VR little endian, with `changes` applied. */
function ctDataset(changes: Record<string, unknown> = {}): { uid: string; bytes: Buffer } {
  const uid = `${STUDY}.1.${++sop}`;
  const dataset: Record<string, unknown> = { ...ctGradient({ rows: 64, columns: 64 }), StudyInstanceUID: STUDY, SeriesInstanceUID: `${STUDY}.1`, SOPInstanceUID: uid, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete dataset[key];
  const file = Buffer.from(writeDicomFile(dataset));
  const groupLength = file.readUInt32LE(140);
  return { uid, bytes: file.subarray(144 + groupLength) };
}

/** The bytes of an element header + value, explicit VR little endian with a 4-byte length. */
function longElement(group: number, element: number, vr: string, declaredLength: number, value: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(element, 2);
  header.write(vr, 4, 'latin1');
  header.writeUInt32LE(declaredLength, 8);
  return Buffer.concat([header, value]);
}

/** A CT data set whose Pixel Data is replaced by `pixelData` (header and value as given). */
function withPixelData(pixelData: Buffer): { uid: string; bytes: Buffer } {
  const { uid, bytes } = ctDataset({ PixelData: undefined });
  return { uid, bytes: Buffer.concat([bytes, pixelData]) };
}

describe('bad input to the C-STORE receiver', () => {
  let receiver: TestScp;
  let scu: RawScu;
  const contexts = [
    { id: 1, abstractSyntax: CT, transferSyntaxes: [EXPLICIT] },
    { id: 3, abstractSyntax: CT, transferSyntaxes: ['1.2.3.4.5.999'] },
    { id: 5, abstractSyntax: CT, transferSyntaxes: [DEFLATED] },
    { id: 7, abstractSyntax: SR, transferSyntaxes: [EXPLICIT] },
    { id: 9, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: [EXPLICIT] },
  ];

  beforeAll(async () => {
    receiver = await startTestScp(new CapturingPublisher(), { maxInstanceBytes: 2 * 1024 * 1024 });
    scu = await RawScu.open(receiver.scp.port);
    const answer = await scu.associate(SCP_AE, 'MODALITY', contexts);
    if (answer.kind !== 'accepted') throw new Error(`association ${answer.kind}`);
  });
  afterAll(async () => {
    scu?.destroy();
    await receiver?.close();
  });

  async function store(contextId: number, dataset: { uid: string; bytes: Buffer }, sopClass = CT): Promise<StoreAnswer> {
    const answer = await scu.store(contextId, sopClass, dataset.uid, dataset.bytes);
    if (!('status' in answer)) throw new Error(`expected a C-STORE response, got ${JSON.stringify(answer)}`);
    return answer;
  }

  function stored(uid: string): Promise<boolean> {
    return stat(join(receiver.storageDir, 'dicom', STUDY, `${STUDY}.1`, `${uid}.dcm`)).then(
      () => true,
      () => false,
    );
  }

  it('negotiates: an unknown transfer syntax and a query model are refused, the rest accepted', async () => {
    const probe = await RawScu.open(receiver.scp.port);
    const answer = await probe.associate(SCP_AE, 'MODALITY', contexts);
    expect(answer.kind).toBe('accepted');
    if (answer.kind !== 'accepted') return;
    expect(answer.contexts.get(1)).toEqual({ result: 0, transferSyntax: EXPLICIT });
    expect(answer.contexts.get(3)?.result).toBe(4);
    expect(answer.contexts.get(5)).toEqual({ result: 0, transferSyntax: DEFLATED });
    expect(answer.contexts.get(9)?.result).toBe(3);
    expect(answer.maxPduLength).toBe(131072);
    await probe.release();
  });

  it('answers 0xC000 to a truncated data set, logs why, and keeps the association working', async () => {
    const whole = ctDataset();
    const truncated = { uid: whole.uid, bytes: whole.bytes.subarray(0, whole.bytes.length - 3000) };
    const answer = await store(1, truncated);
    expect(answer.status).toBe(STORE_STATUS.cannotUnderstand);
    expect(answer.errorComment).toMatch(/truncated/);
    const logged = receiver.logs.lines.filter((line) => line.sopInstanceUid === truncated.uid);
    expect(logged).toEqual([expect.objectContaining({ msg: 'instance refused', status: '0xC000', reason: expect.stringMatching(/truncated: \(7FE0,0010\) Pixel Data declares 8192 bytes/) })]);
    expect(await stored(truncated.uid)).toBe(false);
    const next = ctDataset();
    expect((await store(1, next)).status).toBe(STORE_STATUS.success);
    expect(await stored(next.uid)).toBe(true);
  });

  it('answers 0xA900 to an image without pixel data, but stores a structured report that has none', async () => {
    const noPixels = ctDataset({ PixelData: undefined });
    const answer = await store(1, noPixels);
    expect(answer.status).toBe(STORE_STATUS.datasetMismatch);
    expect(answer.errorComment).toMatch(/^no pixel data in an image/);
    const report = ctDataset({ PixelData: undefined, Rows: undefined, Columns: undefined, SOPClassUID: SR, Modality: 'SR' });
    expect((await store(7, report, SR)).status).toBe(STORE_STATUS.success);
  });

  it('answers 0xA900 to pixel data shorter than Rows × Columns, and stores longer pixel data with warning 0xB007', async () => {
    const short = withPixelData(longElement(0x7fe0, 0x0010, 'OW', 100, Buffer.alloc(100)));
    const shortAnswer = await store(1, short);
    expect(shortAnswer.status).toBe(STORE_STATUS.datasetMismatch);
    expect(receiver.logs.matching(/pixel data has 100 bytes, 64×64.* needs 8192/).length).toBe(1);
    expect(await stored(short.uid)).toBe(false);
    const long = withPixelData(longElement(0x7fe0, 0x0010, 'OW', 8192 + 100, Buffer.alloc(8192 + 100)));
    expect((await store(1, long)).status).toBe(STORE_STATUS.warningDatasetMismatch);
    expect(await stored(long.uid)).toBe(true);
  });

  it('answers 0xC000 to an element declaring 2 GB that never comes', async () => {
    const huge = withPixelData(longElement(0x7fe0, 0x0010, 'OW', 0x80000000, Buffer.alloc(1000)));
    const answer = await store(1, huge);
    expect(answer.status).toBe(STORE_STATUS.cannotUnderstand);
    expect(receiver.logs.matching(/declares 2147483648 bytes/).length).toBe(1);
  });

  it('answers 0x0122 to a data set sent on the context it refused (unknown transfer syntax)', async () => {
    const answer = await store(3, ctDataset());
    expect(answer.status).toBe(STORE_STATUS.sopClassNotSupported);
  });

  it('answers 0xC000 to a deflated data set that does not inflate, and to a command naming another SOP instance', async () => {
    const garbage = { uid: `${STUDY}.1.${++sop}`, bytes: Buffer.from('this is not deflate data at all, just text') };
    expect((await store(5, garbage)).status).toBe(STORE_STATUS.cannotUnderstand);
    const good = ctDataset();
    const deflated = { uid: good.uid, bytes: deflateRawSync(good.bytes) };
    expect((await store(5, deflated)).status).toBe(STORE_STATUS.success);
    const mismatch = ctDataset();
    const answer = await scu.store(1, CT, `${STUDY}.9.9`, mismatch.bytes);
    expect(answer).toMatchObject({ status: STORE_STATUS.cannotUnderstand, errorComment: expect.stringMatching(/^UIDs differ from the C-STORE command/) });
  });

  it('answers 0xA700 to an instance larger than dicom.maxInstanceBytes', async () => {
    const big = withPixelData(longElement(0x7fe0, 0x0010, 'OW', 3 * 1024 * 1024, Buffer.alloc(3 * 1024 * 1024)));
    expect((await store(1, big)).status).toBe(STORE_STATUS.outOfResources);
    expect(await stored(big.uid)).toBe(false);
  });

  it('aborts an association whose PDU declares 2 GB, and another association carries on', async () => {
    const bystander = await RawScu.open(receiver.scp.port);
    expect((await bystander.associate(SCP_AE, 'CT02', contexts)).kind).toBe('accepted');
    const attacker = await RawScu.open(receiver.scp.port);
    expect((await attacker.associate(SCP_AE, 'EVIL', contexts)).kind).toBe('accepted');
    const header = Buffer.alloc(6);
    header[0] = 0x04;
    header.writeUInt32BE(0x80000000, 2);
    attacker.write(Buffer.concat([header, Buffer.alloc(4096)]));
    const aborted = await attacker.readPdu();
    expect(aborted?.type).toBe(0x07);
    expect(aborted?.body[3]).toBe(6);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(attacker.closed).toBe(true);
    expect(receiver.logs.matching(/declares 2147483648 bytes, more than the 131072 allowed/).length).toBe(1);
    const instance = ctDataset();
    const answer = await bystander.store(1, CT, instance.uid, instance.bytes);
    expect(answer).toMatchObject({ status: STORE_STATUS.success });
    expect(await bystander.release()).toBe(true);
  });

  it('aborts a connection that does not speak DICOM, and data before the association', async () => {
    const http = await RawScu.open(receiver.scp.port);
    http.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect((await http.readPdu())?.type).toBe(0x07);
    const early = await RawScu.open(receiver.scp.port);
    early.write(pdu(0x04, Buffer.alloc(8)));
    expect((await early.readPdu())?.type).toBe(0x07);
    expect(receiver.logs.matching(/unknown PDU type 0x47/).length).toBe(1);
    expect(receiver.logs.matching(/P-DATA-TF before the association was accepted/).length).toBe(1);
  });

  it('still works for a real modality afterwards, with no temporary files left behind', async () => {
    const dir = await tempDir('simpul-bad-input-');
    const path = join(dir.path, 'ok.dcm');
    await writeFile(path, writeDicomFile({ ...ctGradient({ rows: 64, columns: 64 }), StudyInstanceUID: STUDY, SeriesInstanceUID: `${STUDY}.1`, SOPInstanceUID: `${STUDY}.1.${++sop}` }));
    const result = await storescu(receiver.scp.port, [path]);
    expect(result.code, result.output).toBe(0);
    await dir.remove();
    const incoming = join(receiver.storageDir, 'dicom', '.incoming');
    const leftovers = (await Promise.all((await readdir(incoming)).map((d) => readdir(join(incoming, d))))).flat();
    expect(leftovers).toEqual([]);
  });
});
