import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MedplumClient } from '@medplum/core';
import type { ImagingStudy, ServiceRequest } from '@medplum/fhirtypes';
import { PermanentError, type PacsDestinationConfig } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverToPacs } from '../src/pacs/index.ts';
import { RetryableDeliveryError, type DeliveryContext, type ProgressUpdate } from '../src/routing/destination-driver.ts';
import { imagingStudyOf, testUid, writeTestInstance, type TestInstance } from './support/dicom-files.ts';
import { startOrthanc, type TestOrthanc } from './support/orthanc.ts';

let orthanc: TestOrthanc;
let storageDir: string;

beforeAll(async () => {
  orthanc = await startOrthanc({ aeTitle: 'ORTHANC_A' });
  storageDir = await mkdtemp(join(tmpdir(), 'simpul-pacs-blobs-'));
});

afterAll(async () => {
  await orthanc?.stop();
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
});

function destination(overrides: Partial<PacsDestinationConfig> = {}): PacsDestinationConfig {
  return {
    type: 'pacs',
    aeTitle: orthanc.aeTitle,
    host: '127.0.0.1',
    port: orthanc.dicomPort,
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

interface Harness {
  readonly context: DeliveryContext<PacsDestinationConfig>;
  readonly checkpoints: ProgressUpdate[];
}

function harness(resource: ImagingStudy | ServiceRequest, options: { delivered?: readonly string[]; destination?: PacsDestinationConfig; interaction?: 'create' | 'update' | 'delete'; signal?: AbortSignal } = {}): Harness {
  const checkpoints: ProgressUpdate[] = [];
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    checkpoints,
    context: {
      destinationName: 'pacs-a',
      destination: options.destination ?? destination(),
      medplum: {} as MedplumClient,
      resource,
      interaction: options.interaction ?? 'create',
      idempotencyKey: 'key-1',
      attempt: 1,
      traceId: 'trace-1',
      storageDir,
      progress: { deliveredInstances: new Set(options.delivered ?? []), remoteIds: {} },
      checkpoint: async (update) => {
        checkpoints.push(update);
      },
      logger: silent,
      signal: options.signal ?? new AbortController().signal,
    },
  };
}

async function study(syntaxes: ReadonlyArray<'ele' | 'ile' | 'rle' | 'jpeg-lossless'>): Promise<TestInstance[]> {
  const studyUid = testUid();
  const series = [testUid(), testUid()];
  const instances: TestInstance[] = [];
  for (const [index, syntax] of syntaxes.entries()) {
    instances.push(await writeTestInstance(storageDir, { studyUid, seriesUid: series[index % 2], syntax }));
  }
  return instances;
}

const checkpointed = (checkpoints: readonly ProgressUpdate[]): string[] => checkpoints.flatMap((update) => update.deliveredInstances ?? []).sort();

describe('PACS driver against Orthanc', () => {
  it('stores every listed instance, each in its stored transfer syntax, and checkpoints every accepted UID', async () => {
    const instances = await study(['ele', 'ile', 'rle', 'jpeg-lossless', 'ele']);
    const { context, checkpoints } = harness(imagingStudyOf(instances));
    const result = await deliverToPacs(context);
    const uids = instances.map((instance) => instance.sopInstanceUid).sort();
    expect(result.summary).toBe('5 instances stored at ORTHANC_A');
    expect([...(result.deliveredInstances ?? [])].sort()).toEqual(uids);
    expect(checkpointed(checkpoints)).toEqual(uids);
    const stored = await orthanc.instances();
    for (const instance of instances) {
      const match = stored.find((entry) => entry.sopInstanceUid === instance.sopInstanceUid);
      expect(match?.studyInstanceUid).toBe(instance.studyUid);
      expect(match?.seriesInstanceUid).toBe(instance.seriesUid);
      expect(await orthanc.transferSyntaxOf(instance.sopInstanceUid)).toBe(instance.transferSyntaxUid);
    }
  });

  it('sends only the instances not yet delivered', async () => {
    const instances = await study(['ele', 'ele', 'ile', 'rle']);
    const first = harness(imagingStudyOf(instances, 'study-resume'));
    await deliverToPacs(first.context);
    // Orthanc forgets two instances; the progress says they were delivered, so they must not come back.
    const [gone1, gone2] = instances;
    await orthanc.deleteInstance(gone1.sopInstanceUid);
    await orthanc.deleteInstance(gone2.sopInstanceUid);
    const missing = instances.slice(2).map((instance) => instance.sopInstanceUid);
    for (const uid of missing) await orthanc.deleteInstance(uid);
    const second = harness(imagingStudyOf(instances, 'study-resume'), { delivered: [gone1.sopInstanceUid, gone2.sopInstanceUid] });
    const result = await deliverToPacs(second.context);
    expect(result.summary).toBe('2 instances stored at ORTHANC_A, 2 already there');
    expect(checkpointed(second.checkpoints)).toEqual([...missing].sort());
    const held = await orthanc.sopInstanceUids();
    expect(held).toEqual(expect.arrayContaining(missing));
    expect(held).not.toContain(gone1.sopInstanceUid);
    expect(held).not.toContain(gone2.sopInstanceUid);

    const third = harness(imagingStudyOf(instances, 'study-resume'), { delivered: instances.map((instance) => instance.sopInstanceUid) });
    const nothing = await deliverToPacs(third.context);
    expect(nothing.summary).toBe('all 4 instances already stored at ORTHANC_A');
    expect(third.checkpoints).toEqual([]);
  });

  it('splits a study over several associations when instancesPerAssociation is small', async () => {
    const instances = await study(['ele', 'ile', 'rle', 'ele', 'jpeg-lossless']);
    const { context, checkpoints } = harness(imagingStudyOf(instances, 'study-split'), { destination: destination({ instancesPerAssociation: 2 }) });
    const result = await deliverToPacs(context);
    expect(result.summary).toBe('5 instances stored at ORTHANC_A');
    expect(checkpointed(checkpoints)).toEqual(instances.map((instance) => instance.sopInstanceUid).sort());
    expect(await orthanc.sopInstanceUids()).toEqual(expect.arrayContaining(instances.map((instance) => instance.sopInstanceUid)));
  });

  it('reports a rejected association (wrong called AE title) as retryable, naming the reason', async () => {
    const instances = await study(['ele']);
    const { context, checkpoints } = harness(imagingStudyOf(instances, 'study-wrong-ae'), { destination: destination({ aeTitle: 'NOT_ORTHANC' }) });
    const error = await deliverToPacs(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/association rejected by NOT_ORTHANC@127\.0\.0\.1:\d+: called AE title not recognized/);
    expect(checkpoints).toEqual([]);
    expect(await orthanc.sopInstanceUids()).not.toContain(instances[0].sopInstanceUid);
  });

  it('reports a file missing from the blob store as retryable with its path, after sending the others', async () => {
    const instances = await study(['ele', 'ile']);
    const ghost: TestInstance = { ...instances[0], sopInstanceUid: testUid(), path: '' };
    const resource = imagingStudyOf([...instances, ghost], 'study-missing');
    const { context, checkpoints } = harness(resource);
    const error = await deliverToPacs(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    const expectedPath = join(storageDir, 'dicom', ghost.studyUid, ghost.seriesUid, `${ghost.sopInstanceUid}.dcm`);
    expect((error as Error).message).toContain(`instance file missing from the blob store: ${expectedPath}`);
    expect((error as Error).message).toContain('1 of 3 instances not stored at ORTHANC_A');
    expect(checkpointed(checkpoints)).toEqual(instances.map((instance) => instance.sopInstanceUid).sort());
  });

  it('does nothing for an order or a deletion', async () => {
    const order: ServiceRequest = { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' } };
    const forOrder = await deliverToPacs(harness(order).context);
    expect(forOrder.notApplicable).toBe(true);
    const instances = await study(['ele']);
    const forDelete = await deliverToPacs(harness(imagingStudyOf(instances, 'study-deleted'), { interaction: 'delete' }).context);
    expect(forDelete.notApplicable).toBe(true);
    expect(await orthanc.sopInstanceUids()).not.toContain(instances[0].sopInstanceUid);
  });

  it('refuses a study whose UIDs would leave the blob store, permanently', async () => {
    const instances = await study(['ele']);
    const resource = imagingStudyOf(instances, 'study-hostile');
    resource.series![0].instance![0].uid = '../../../../etc/passwd';
    const error = await deliverToPacs(harness(resource).context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain('series[0].instance[0].uid is not a DICOM UID');
    const noStudyUid = imagingStudyOf(instances, 'study-no-uid');
    noStudyUid.identifier = [{ system: 'urn:other', value: 'x' }];
    const missing = await deliverToPacs(harness(noStudyUid).context).catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(PermanentError);
    expect((missing as Error).message).toContain('no identifier with system urn:dicom:uid');
  });

  it('stops cleanly when the attempt is aborted', async () => {
    const instances = await study(['ele', 'ele']);
    const controller = new AbortController();
    controller.abort(new Error('attempt time budget ran out'));
    const { context, checkpoints } = harness(imagingStudyOf(instances, 'study-abort'), { signal: controller.signal });
    const error = await deliverToPacs(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toContain('stopped: attempt time budget ran out');
    expect(checkpoints).toEqual([]);
    expect(await orthanc.sopInstanceUids()).not.toContain(instances[0].sopInstanceUid);
  });
});
