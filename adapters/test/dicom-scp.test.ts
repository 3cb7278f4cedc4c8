import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctGradient } from '../src/dicom/data/testing/synthetic-images.ts';
import { parseDicomFile } from '../src/dicom/data/parse-dicom-file.ts';
import { writeDicomFile } from '../src/dicom/data/write-dicom-file.ts';
import type { DicomInstanceMessage } from '../src/dicom/scp/instance-message.ts';
import { STORE_STATUS } from '../src/dicom/scp/store-status.ts';
import { RawScu } from './dicom-raw-scu.ts';
import { CapturingPublisher, SCP_AE, datasetOf, dcmtk, startTestScp, storescu, tempDir, type TestScp } from './dicom-support.ts';
import { SYNTAX_CASES, SyntaxFiles, sendWithPeer } from './dicom-syntax-files.ts';

/** The receiver against dcmtk's echoscu and storescu: every transfer syntax, AE titles, limits, duplicates, a bus that is down. */

const STUDY = '1.2.826.0.1.3680043.10.1001';

let files: { path: string; remove(): Promise<void> };
let syntaxFiles: SyntaxFiles;

beforeAll(async () => {
  files = await tempDir('simpul-scp-files-');
  syntaxFiles = await SyntaxFiles.create(files.path);
});

afterAll(async () => {
  await syntaxFiles?.dispose();
  await files?.remove();
});

/** A 64×64 CT, explicit VR little endian, as a Part 10 file. */
async function ctFile(sopSuffix: string, size = 64): Promise<string> {
  const path = join(files.path, `ct-${sopSuffix}.dcm`);
  await writeFile(path, writeDicomFile({ ...ctGradient({ rows: size, columns: size }), StudyInstanceUID: STUDY, SeriesInstanceUID: `${STUDY}.1`, SOPInstanceUID: `${STUDY}.1.${sopSuffix}` }));
  return path;
}

describe('the C-STORE receiver with dcmtk peers', () => {
  let publisher: CapturingPublisher;
  let receiver: TestScp;

  beforeAll(async () => {
    publisher = new CapturingPublisher();
    receiver = await startTestScp(publisher);
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('answers C-ECHO', async () => {
    const result = await dcmtk('echoscu', ['-aet', 'ECHOSCU', '-aec', SCP_AE, '127.0.0.1', String(receiver.scp.port)]);
    expect(result.code, result.output).toBe(0);
  });

  it('stores every transfer syntax as sent (every attribute and pixel fragment) and announces each before answering', async () => {
    const sent: { name: string; uid: string; path: string; sop: string }[] = [];
    for (const syntax of SYNTAX_CASES) {
      const file = await syntaxFiles.write(syntax, { study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.${100 + sent.length}` });
      if (!file) continue;
      sent.push({ name: syntax.name, uid: syntax.uid, path: file.path, sop: file.sopInstanceUid });
      const result = await sendWithPeer(syntax, receiver.scp.port, file.path);
      expect(result.output, syntax.name).toMatch(/Response \(Success\)/);
    }
    expect(sent.length).toBe(syntaxFiles.hasJpeg2000 ? SYNTAX_CASES.length : SYNTAX_CASES.length - 2);
    for (const { name, uid, path, sop } of sent) {
      const stored = join(receiver.storageDir, 'dicom', STUDY, `${STUDY}.1`, `${sop}.dcm`);
      // dcmtk re-encodes what it sends (a file another toolkit wrote may come out with other padding), so the
      // oracle is the parsed content: every attribute and every pixel data fragment.
      const storedContent = parseDicomFile(await readFile(stored));
      expect(storedContent.transferSyntaxUid, name).toBe(uid);
      const { _vrMap: _storedVrs, ...storedAttributes } = storedContent.dataset;
      const { _vrMap: _sentVrs, ...sentAttributes } = parseDicomFile(await readFile(path)).dataset;
      expect(storedAttributes, `${name}: the stored data set is the one sent`).toEqual(sentAttributes);
      const announced = publisher.published.find((p) => (p.envelope.body as DicomInstanceMessage).instance.sopInstanceUid === sop);
      expect(announced?.routingKey, name).toBe(`dicom.${SCP_AE}`);
      const message = announced?.envelope.body as DicomInstanceMessage;
      expect(message.instance.transferSyntaxUid, name).toBe(uid);
      expect(message.file).toEqual({ path: `dicom/${STUDY}/${STUDY}.1/${sop}.dcm`, bytes: (await stat(stored)).size });
      expect(message.callingAeTitle).toBe('STORESCU');
      expect(announced?.envelope.source).toBe('STORESCU');
    }
    expect(receiver.outcomes.filter((o) => o.status !== STORE_STATUS.success)).toEqual([]);
  });

  it('accepts what storescu transcodes to when told to propose implicit or big endian only', async () => {
    const path = await ctFile('200');
    const implicit = await storescu(receiver.scp.port, [path], ['-xi']);
    expect(implicit.code, implicit.output).toBe(0);
    const stored = await readFile(join(receiver.storageDir, 'dicom', STUDY, `${STUDY}.1`, `${STUDY}.1.200.dcm`));
    expect(stored.includes(Buffer.from('1.2.840.10008.1.2\0'))).toBe(true);
  });

  it('keeps a large instance off the heap and stores it whole', async () => {
    const path = await ctFile('300', 3000);
    const result = await storescu(receiver.scp.port, [path]);
    expect(result.code, result.output).toBe(0);
    const stored = join(receiver.storageDir, 'dicom', STUDY, `${STUDY}.1`, `${STUDY}.1.300.dcm`);
    expect((await stat(stored)).size).toBeGreaterThan(18_000_000);
    expect(Buffer.compare(await datasetOf(stored), await datasetOf(path))).toBe(0);
  });

  it('stores a SOP Instance UID sent twice once, and announces it again under the same message id', async () => {
    const path = await ctFile('400');
    expect((await storescu(receiver.scp.port, [path])).code).toBe(0);
    const stored = join(receiver.storageDir, 'dicom', STUDY, `${STUDY}.1`, `${STUDY}.1.400.dcm`);
    const first = await stat(stored);
    expect((await storescu(receiver.scp.port, [path])).code).toBe(0);
    const second = await stat(stored);
    expect(second.mtimeMs).toBe(first.mtimeMs);
    expect(second.ino).toBe(first.ino);
    const ids = publisher.published.filter((p) => (p.envelope.body as DicomInstanceMessage).instance.sopInstanceUid === `${STUDY}.1.400`).map((p) => p.envelope.id);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    expect(receiver.outcomes.at(-1)?.duplicate).toBe(true);
  });

  it('answers 0xA700 while the bus is down, keeps the file, and announces it when the instance comes again', async () => {
    const path = await ctFile('500');
    publisher.failWith = new Error('not connected to RabbitMQ yet');
    const refused = await storescu(receiver.scp.port, [path], ['-v']);
    expect(refused.output).toMatch(/Refused: OutOfResources/);
    expect(receiver.outcomes.at(-1)?.status).toBe(STORE_STATUS.outOfResources);
    expect(receiver.logs.matching(/not connected to RabbitMQ yet/).length).toBeGreaterThan(0);
    publisher.failWith = undefined;
    expect((await storescu(receiver.scp.port, [path])).code).toBe(0);
    expect(receiver.outcomes.at(-1)?.status).toBe(STORE_STATUS.success);
    expect(publisher.published.some((p) => (p.envelope.body as DicomInstanceMessage).instance.sopInstanceUid === `${STUDY}.1.500`)).toBe(true);
  });
});

describe('who may associate', () => {
  let receiver: TestScp;

  beforeAll(async () => {
    receiver = await startTestScp(new CapturingPublisher(), { allowedCallingAeTitles: ['CT01'], maxAssociations: 2 });
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('lets an allowed calling AE title in and rejects another with "calling AE title not recognised", logged', async () => {
    const allowed = await dcmtk('echoscu', ['-aet', 'CT01', '-aec', SCP_AE, '127.0.0.1', String(receiver.scp.port)]);
    expect(allowed.code, allowed.output).toBe(0);
    const refused = await dcmtk('echoscu', ['-aet', 'INTRUDER', '-aec', SCP_AE, '127.0.0.1', String(receiver.scp.port)]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/Calling AE Title Not Recognized/i);
    expect(receiver.logs.matching(/association rejected.*INTRUDER|INTRUDER.*association rejected/).length).toBeGreaterThan(0);
  });

  it('rejects a called AE title that is not its own', async () => {
    const refused = await dcmtk('echoscu', ['-aet', 'CT01', '-aec', 'SOMEONE', '127.0.0.1', String(receiver.scp.port)]);
    expect(refused.output).toMatch(/Called AE Title Not Recognized/i);
  });

  it('refuses associations beyond maxAssociations as a transient local limit, and takes new ones once one is released', async () => {
    const context = [{ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }];
    const first = await RawScu.open(receiver.scp.port);
    const second = await RawScu.open(receiver.scp.port);
    expect((await first.associate(SCP_AE, 'CT01', context)).kind).toBe('accepted');
    expect((await second.associate(SCP_AE, 'CT01', context)).kind).toBe('accepted');
    const third = await RawScu.open(receiver.scp.port);
    expect(await third.associate(SCP_AE, 'CT01', context)).toEqual({ kind: 'rejected', result: 2, source: 3, reason: 2 });
    third.destroy();
    expect(await first.release()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const fourth = await RawScu.open(receiver.scp.port);
    expect((await fourth.associate(SCP_AE, 'CT01', context)).kind).toBe('accepted');
    await fourth.release();
    await second.release();
  });
});
