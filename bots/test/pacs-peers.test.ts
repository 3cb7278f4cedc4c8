import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MedplumClient } from '@medplum/core';
import type { ImagingStudy } from '@medplum/fhirtypes';
import { PermanentError, type PacsDestinationConfig } from '@simpul/infra';
import dimse from 'dcmjs-dimse';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deliverToPacs } from '../src/pacs/index.ts';
import { RetryableDeliveryError, type DeliveryContext, type ProgressUpdate } from '../src/routing/destination-driver.ts';
import { imagingStudyOf, testUid, writeTestInstance, type TestInstance } from './support/dicom-files.ts';
import { freePort } from './support/orthanc.ts';

/**
 * Peers that answer what Orthanc and storescp will not on demand: a C-STORE SCP built on dcmjs-dimse
 * that answers each C-STORE with the next status of a script (warnings, 0xA900, 0xC000), or never,
 * and a TCP listener that never speaks DICOM at all. Real sockets, real PDUs.
 */

const { Scp, Server } = dimse;
const { PresentationContextResult } = dimse.constants;
const { CStoreResponse } = dimse.responses;

type Association = InstanceType<typeof dimse.association.Association>;
type CStoreRequest = InstanceType<typeof dimse.requests.CStoreRequest>;

/** Statuses for the next C-STOREs, in order; `null` = never answer. */
let script: Array<number | null> = [];
const received: string[] = [];

class ScriptedScp extends Scp {
  override associationRequested(association: Association): void {
    (this as unknown as { association: Association }).association = association;
    for (const { context } of association.getPresentationContexts()) {
      context.setResult(PresentationContextResult.Accept, context.getTransferSyntaxUids()[0]);
    }
    this.sendAssociationAccept();
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
  }

  override cStoreRequest(request: CStoreRequest, callback: (response: InstanceType<typeof CStoreResponse>) => void): void {
    received.push(request.getAffectedSopInstanceUid());
    const status = script.length > 0 ? script.shift() : 0x0000;
    if (status === null) return;
    const response = CStoreResponse.fromRequest(request);
    response.setStatus(status ?? 0);
    if (status === 0xa900) response.setErrorComment('Modality does not match SOP class');
    callback(response);
  }
}

let storageDir: string;
let scpPort: number;
let server: InstanceType<typeof Server>;
const silentServers: NetServer[] = [];
const silentSockets: Socket[] = [];

beforeAll(async () => {
  storageDir = await mkdtemp(join(tmpdir(), 'simpul-pacs-peers-'));
  scpPort = await freePort();
  server = new Server(ScriptedScp);
  server.listen(scpPort);
});

afterEach(async () => {
  script = [];
  received.length = 0;
  for (const socket of silentSockets.splice(0)) socket.destroy();
  await Promise.all(silentServers.splice(0).map((silent) => new Promise((resolve) => silent.close(resolve))));
});

afterAll(async () => {
  server?.close();
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
});

function destination(port: number, overrides: Partial<PacsDestinationConfig> = {}): PacsDestinationConfig {
  return {
    type: 'pacs',
    aeTitle: 'SCRIPTED',
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

function harness(resource: ImagingStudy, target: PacsDestinationConfig): { context: DeliveryContext<PacsDestinationConfig>; checkpoints: ProgressUpdate[] } {
  const checkpoints: ProgressUpdate[] = [];
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  return {
    checkpoints,
    context: {
      destinationName: 'scripted',
      destination: target,
      medplum: {} as MedplumClient,
      resource,
      interaction: 'update',
      idempotencyKey: 'key-1',
      attempt: 2,
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

async function instances(count: number): Promise<TestInstance[]> {
  const studyUid = testUid();
  const seriesUid = testUid();
  const written: TestInstance[] = [];
  for (let i = 0; i < count; i++) written.push(await writeTestInstance(storageDir, { studyUid, seriesUid }));
  return written;
}

describe('PACS driver against scripted peers', () => {
  it('counts warning statuses as stored and records each warning', async () => {
    script = [0xb000, 0x0000, 0xb007];
    const study = await instances(3);
    const { context, checkpoints } = harness(imagingStudyOf(study), destination(scpPort));
    const result = await deliverToPacs(context);
    expect(result.summary).toBe('3 instances stored at SCRIPTED (2 with warnings)');
    expect(result.warnings).toEqual([
      `${study[0].sopInstanceUid} 0xB000 Warning: Coercion of Data Elements`,
      `${study[2].sopInstanceUid} 0xB007 Warning: Data Set Does Not Match SOP Class`,
    ]);
    expect(checkpoints.flatMap((update) => update.deliveredInstances ?? [])).toEqual(study.map((instance) => instance.sopInstanceUid));
    expect(checkpoints.flatMap((update) => update.warnings ?? [])).toEqual(result.warnings);
    expect(received).toEqual(study.map((instance) => instance.sopInstanceUid));
  });

  it('fails 0xA900 and 0xC000 permanently and still sends the rest', async () => {
    script = [0xa900, 0x0000, 0xc000];
    const study = await instances(3);
    const { context, checkpoints } = harness(imagingStudyOf(study), destination(scpPort));
    const error = await deliverToPacs(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toBe(
      `2 of 3 instances not stored at SCRIPTED (0 to retry, 2 permanent; 1 instance stored at SCRIPTED); ` +
        `first failure: ${study[0].sopInstanceUid}: 0xA900 Error: Data Set Does Not Match SOP Class (Modality does not match SOP class)`,
    );
    expect(checkpoints.flatMap((update) => update.deliveredInstances ?? [])).toEqual([study[1].sopInstanceUid]);
    expect(received).toHaveLength(3);
  });

  it('times out waiting for a C-STORE response, as retryable, keeping what was stored before', async () => {
    script = [0x0000, null];
    const study = await instances(3);
    const { context, checkpoints } = harness(imagingStudyOf(study), destination(scpPort, { timeoutMs: 500 }));
    const error = await deliverToPacs(context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toContain('2 of 3 instances not stored at SCRIPTED (2 to retry');
    expect((error as Error).message).toContain(`within 500 ms (waiting for the C-STORE response for ${study[1].sopInstanceUid})`);
    expect(checkpoints.flatMap((update) => update.deliveredInstances ?? [])).toEqual([study[0].sopInstanceUid]);
  });

  it('times out on a peer that accepts the connection but never answers the association request', async () => {
    const silent = createServer((socket) => void silentSockets.push(socket));
    silentServers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const study = await instances(1);
    const error = await deliverToPacs(harness(imagingStudyOf(study), destination(port, { timeoutMs: 300 })).context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toContain(`no answer from SCRIPTED@127.0.0.1:${port} within 300 ms (waiting for the association to be accepted)`);
  });

  it('treats garbage from the peer as a retryable connection failure', async () => {
    const noisy = createServer((socket) => {
      silentSockets.push(socket);
      socket.once('data', () => socket.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    });
    silentServers.push(noisy);
    await new Promise<void>((resolve) => noisy.listen(0, '127.0.0.1', resolve));
    const port = (noisy.address() as { port: number }).port;
    const study = await instances(1);
    const error = await deliverToPacs(harness(imagingStudyOf(study), destination(port, { timeoutMs: 2000 })).context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as Error).message).toMatch(/connection to SCRIPTED@127\.0\.0\.1:\d+ failed|no answer from SCRIPTED/);
  });
});
