import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MedplumClient } from '@medplum/core';
import dimse from 'dcmjs-dimse';
import type { ImagingStudy } from '@medplum/fhirtypes';
import { PermanentError, type PacsDestinationConfig } from '@simpul/infra';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deliverToPacs, storeInstances } from '../src/pacs/index.ts';
import { RetryableDeliveryError, type DeliveryContext, type ProgressUpdate } from '../src/routing/destination-driver.ts';
import { imagingStudyOf, TEST_SYNTAXES, testUid, writeTestInstance, type TestInstance, type TestSyntax } from './support/dicom-files.ts';
import { freePort } from './support/orthanc.ts';
import { startStorescp as startPeer, type Storescp } from './support/storescp.ts';

/** dcmtk's storescp as the peer for the failure paths Orthanc cannot produce on demand. */

const run = promisify(execFile);
const { Dataset } = dimse;
type Dataset = InstanceType<typeof Dataset>;

const running: Storescp[] = [];
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'simpul-pacs-storescp-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((scp) => scp.stop()));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function startStorescp(flags: readonly string[] = []): Promise<Storescp> {
  const scp = await startPeer(root, flags);
  running.push(scp);
  return scp;
}

function destination(port: number, overrides: Partial<PacsDestinationConfig> = {}): PacsDestinationConfig {
  return {
    type: 'pacs',
    aeTitle: 'STORESCP',
    host: '127.0.0.1',
    port,
    callingAeTitle: 'SIMPUL',
    timeoutMs: 10_000,
    instancesPerAssociation: 500,
    maxAttempts: 8,
    retryDelaysMs: [5000],
    concurrency: 1,
    attemptTimeoutMs: 600_000,
    ...overrides,
  };
}

function harness(resource: ImagingStudy, target: PacsDestinationConfig, storageDir: string): { context: DeliveryContext<PacsDestinationConfig>; checkpoints: ProgressUpdate[] } {
  const checkpoints: ProgressUpdate[] = [];
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    checkpoints,
    context: {
      destinationName: 'storescp',
      destination: target,
      medplum: {} as MedplumClient,
      resource,
      interaction: 'create',
      idempotencyKey: 'key-1',
      attempt: 1,
      traceId: 'trace-1',
      storageDir,
      progress: { deliveredInstances: new Set(), remoteIds: {} },
      checkpoint: async (update) => {
        checkpoints.push(update);
      },
      logger: silent,
      signal: new AbortController().signal,
    },
  };
}

async function blobStudy(syntaxes: readonly TestSyntax[]): Promise<{ storageDir: string; instances: TestInstance[] }> {
  const storageDir = await mkdtemp(join(root, 'blobs-'));
  const studyUid = testUid();
  const seriesUid = testUid();
  const instances: TestInstance[] = [];
  for (const syntax of syntaxes) instances.push(await writeTestInstance(storageDir, { studyUid, seriesUid, syntax }));
  return { storageDir, instances };
}

const checkpointed = (checkpoints: readonly ProgressUpdate[]): string[] => checkpoints.flatMap((update) => update.deliveredInstances ?? []).sort();
const uidsOf = (instances: readonly TestInstance[]): string[] => instances.map((instance) => instance.sopInstanceUid).sort();

async function transferSyntaxOfFile(path: string): Promise<string> {
  const { stdout } = await run('dcmdump', ['-M', '-Un', '+P', '0002,0010', path]);
  return /\[([0-9.]+)\]/.exec(stdout)?.[1] ?? stdout;
}

describe('PACS driver against dcmtk storescp', () => {
  it('gives a RetryableDeliveryError naming 0xA700 when the peer is out of resources', async () => {
    const scp = await startStorescp();
    // storescp cannot write its output file any more: it answers 0xA700.
    await scp.runOutOfResources();
    const { storageDir, instances } = await blobStudy(['ele', 'ile']);
    const { context, checkpoints } = harness(imagingStudyOf(instances), destination(scp.port), storageDir);
    const error = await deliverToPacs(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toContain('2 of 2 instances not stored at STORESCP');
    expect((error as Error).message).toContain('0xA700 Refused: Out of Resources');
    expect(checkpoints).toEqual([]);
  });

  it('treats a refused association as retryable', async () => {
    const scp = await startStorescp(['--refuse']);
    const { storageDir, instances } = await blobStudy(['ele']);
    const error = await deliverToPacs(harness(imagingStudyOf(instances), destination(scp.port), storageDir).context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/association rejected by STORESCP@127\.0\.0\.1:\d+/);
  });

  it('treats a peer that is not listening as retryable', async () => {
    const port = await freePort();
    const { storageDir, instances } = await blobStudy(['ele', 'ele']);
    const error = await deliverToPacs(harness(imagingStudyOf(instances), destination(port), storageDir).context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toContain(`cannot connect to STORESCP@127.0.0.1:${port}: ECONNREFUSED`);
    expect((error as Error).message).toContain('2 of 2 instances not stored');
  });

  it('fails a compressed instance permanently where only uncompressed syntaxes are accepted, and stores the others', async () => {
    const scp = await startStorescp();
    const { storageDir, instances } = await blobStudy(['ele', 'rle', 'ile']);
    const [ele, rle, ile] = instances;
    const { context, checkpoints } = harness(imagingStudyOf(instances), destination(scp.port), storageDir);
    const error = await deliverToPacs(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain('1 of 3 instances not stored at STORESCP (0 to retry, 1 permanent; 2 instances stored at STORESCP)');
    expect((error as Error).message).toContain(`${rle.sopInstanceUid}: the destination accepts SOP class 1.2.840.10008.5.1.4.1.1.2 only in Explicit VR Little Endian`);
    expect((error as Error).message).toContain('RLE Lossless (1.2.840.10008.1.2.5)');
    expect(checkpointed(checkpoints)).toEqual(uidsOf([ele, ile]));
    expect(await scp.stored()).toEqual(uidsOf([ele, ile]));
  });

  it('re-encodes Explicit to Implicit VR Little Endian for a peer that takes only Implicit, one association per batch', async () => {
    const scp = await startStorescp(['+xi']);
    const { storageDir, instances } = await blobStudy(['ele', 'ile', 'ele', 'ele', 'ile']);
    const { context, checkpoints } = harness(imagingStudyOf(instances), destination(scp.port, { instancesPerAssociation: 2 }), storageDir);
    const result = await deliverToPacs(context);
    expect(result.summary).toBe('5 instances stored at STORESCP');
    expect(checkpointed(checkpoints)).toEqual(uidsOf(instances));
    expect(await scp.stored()).toEqual(uidsOf(instances));
    expect(scp.acknowledged()).toBe(3);
    for (const instance of instances) {
      const received = join(scp.outputDir, `CT.${instance.sopInstanceUid}`);
      expect(await transferSyntaxOfFile(received)).toBe(TEST_SYNTAXES.ile);
      // Same content after re-encoding: patient, geometry and every pixel.
      const original = Dataset.fromFile(instance.path)!;
      const copy = Dataset.fromFile(received)!;
      for (const keyword of ['PatientName', 'PatientID', 'Rows', 'Columns', 'PixelRepresentation', 'SOPClassUID']) {
        expect(JSON.stringify(copy.getElement(keyword))).toBe(JSON.stringify(original.getElement(keyword)));
      }
      const pixels = (dataset: Dataset): Buffer => Buffer.from((dataset.getElements().PixelData as ArrayBuffer[])[0]);
      expect(pixels(copy).equals(pixels(original))).toBe(true);
    }
  });

  it('names a retryable failure first and the first permanent one too when both happen', async () => {
    const scp = await startStorescp();
    const { storageDir, instances } = await blobStudy(['rle', 'ele']);
    const ghostUid = testUid();
    const resource = imagingStudyOf(instances);
    resource.series![0].instance!.push({ uid: ghostUid, sopClass: { code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } });
    const error = await deliverToPacs(harness(resource, destination(scp.port), storageDir).context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    const message = (error as Error).message;
    expect(message).toContain('2 of 3 instances not stored at STORESCP (1 to retry, 1 permanent; 1 instance stored at STORESCP)');
    expect(message).toContain(`first failure: ${ghostUid}: instance file missing from the blob store`);
    expect(message).toContain(`first permanent failure: ${instances[0].sopInstanceUid}: the destination accepts`);
  });

  it('treats an association the peer aborts as retryable, keeping what it stored before', async () => {
    const scp = await startStorescp(['--abort-after']);
    const { storageDir, instances } = await blobStudy(['ele', 'ele']);
    const { context, checkpoints } = harness(imagingStudyOf(instances), destination(scp.port), storageDir);
    const error = await deliverToPacs(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/2 of 2 instances not stored at STORESCP.*(association aborted by|closed the connection)/);
    expect(checkpoints).toEqual([]);
  });

  it('reports a corrupt file permanently without stopping the association', async () => {
    const scp = await startStorescp();
    const { instances } = await blobStudy(['ele', 'ele']);
    await writeFile(instances[0].path, Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0xff, 0x7f])]));
    const results = await storeInstances(
      { host: '127.0.0.1', port: scp.port, calledAeTitle: 'STORESCP', callingAeTitle: 'SIMPUL', timeoutMs: 10_000, instancesPerAssociation: 10 },
      instances.map((instance) => ({ sopInstanceUid: instance.sopInstanceUid, path: instance.path })),
    );
    expect(results[0]).toMatchObject({ outcome: 'failed', retryable: false });
    expect(results[0].text).toContain('runs past the end of the file');
    expect(results[1]).toMatchObject({ outcome: 'stored', status: 0 });
    expect(await scp.stored()).toEqual([instances[1].sopInstanceUid]);
  });
});

