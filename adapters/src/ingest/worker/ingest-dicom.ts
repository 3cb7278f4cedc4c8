import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RetryableError, type Envelope } from '@simpul/infra';
import { parseDicomInstanceMessage, type DicomInstanceMessage } from '../../dicom/scp/instance-message.ts';
import { DicomIngestError, patientIdentifier } from '../dicom/index.ts';
import type { DicomIngestSettings } from './dicom-ingest-settings.ts';
import { HubRequestError, type HubClient } from './hub-client.ts';
import { KeyedBatcher } from './keyed-batcher.ts';
import { ensureDicomWebEndpoint, writeStudyBatch, type StudyBatchItem, type StudyBatchWritten } from './write-study-batch.ts';

/**
 * Ingest of the instances the DICOM receiver announces (envelope kind `dicom`). Each message is recorded
 * in the message store (raw = the instance metadata JSON) and goes from received to stored (or error).
 * Instances of one study are written in batches, one batch at a time per study in this worker
 * (KeyedBatcher); other workers writing the same study are handled by If-Match and merging again.
 * Idempotent on the envelope id (derived from the SOP Instance UID): an instance already stored is
 * skipped unless the message is a replay, and merging an instance twice changes nothing.
 */

export interface DicomIngestDeps {
  readonly hub: HubClient;
  readonly settings: DicomIngestSettings;
}

export type DicomIngestResult =
  | { status: 'stored'; resources: string[] }
  | { status: 'already-stored'; resources: string[] }
  | { status: 'rejected'; error: string };

export interface DicomIngest {
  apply(envelope: Envelope): Promise<DicomIngestResult>;
}

export function createDicomIngest(deps: DicomIngestDeps): DicomIngest {
  let endpoint: Promise<string> | undefined;
  const endpointReference = (): Promise<string> => {
    endpoint ??= ensureDicomWebEndpoint(deps.hub, deps.settings.dicomWebAddress).catch((error: unknown) => {
      endpoint = undefined;
      throw error;
    });
    return endpoint;
  };
  const batcher = new KeyedBatcher<StudyBatchItem, StudyBatchWritten>((_study, items) =>
    writeStudyBatch(items, { hub: deps.hub, settings: deps.settings, endpoint: endpointReference }),
  );
  return { apply: (envelope) => applyDicom(envelope, deps, batcher) };
}

async function applyDicom(envelope: Envelope, deps: DicomIngestDeps, batcher: KeyedBatcher<StudyBatchItem, StudyBatchWritten>): Promise<DicomIngestResult> {
  const replay = envelope.headers?.replay === 'true';
  const parsed = parseDicomInstanceMessage(envelope.body);
  const message = 'message' in parsed ? parsed.message : undefined;
  const received = await deps.hub.recordReceived(envelope.id, {
    kind: 'dicom',
    source: envelope.source,
    messageType: 'C-STORE',
    controlId: message?.instance.sopInstanceUid,
    contentType: envelope.contentType,
    raw: JSON.stringify(envelope.body),
    receivedAt: envelope.receivedAt,
    traceId: envelope.traceId,
    patientIds: message ? patientKeys(message, deps.settings) : [],
  });
  if (!replay && !received.firstSeen && received.message.status === 'stored') {
    return { status: 'already-stored', resources: received.message.resources };
  }
  if (!message) {
    const error = 'problem' in parsed ? parsed.problem : 'not a DICOM instance message';
    await deps.hub.recordOutcome(envelope.id, { status: 'error', error });
    return { status: 'rejected', error };
  }
  if (deps.settings.blobStoreDir) await assertFileWhole(deps.settings.blobStoreDir, message);
  // No separate "mapped" step: the mapping is the receiver's metadata, so the next state is "stored" or "error".
  let written: StudyBatchWritten;
  try {
    written = await batcher.add(message.instance.studyInstanceUid, {
      messageId: envelope.id,
      sender: envelope.source,
      calledAeTitle: message.calledAeTitle,
      receivedAt: envelope.receivedAt,
      instance: message.instance,
    });
  } catch (error) {
    const permanent = error instanceof DicomIngestError || (error instanceof HubRequestError && error.permanent);
    if (!permanent) throw error;
    const reason = error instanceof DicomIngestError ? error.message : `the hub refused the study: ${(error as Error).message}`;
    await deps.hub.recordOutcome(envelope.id, { status: 'error', error: reason });
    return { status: 'rejected', error: reason };
  }
  await deps.hub.recordOutcome(envelope.id, { status: 'stored', resources: written.resources });
  return { status: 'stored', resources: written.resources };
}

/**
 * The receiver answers success only once the file is flushed and the message confirmed, but it does both
 * at once: after a crash in between, the message may name a file that is incomplete or absent. Such a
 * message waits (is retried) until the modality sends the instance again and the file is whole.
 */
async function assertFileWhole(blobStoreDir: string, message: DicomInstanceMessage): Promise<void> {
  let size: number | undefined;
  try {
    size = (await stat(join(blobStoreDir, message.file.path))).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (size !== message.file.bytes) {
    throw new RetryableError(`${message.file.path} is ${size === undefined ? 'not in the blob store' : `${size} bytes, not ${message.file.bytes}`} yet`);
  }
}

/** `<system>|<value>` of the instance's patient, as the message store indexes patients. */
function patientKeys(message: DicomInstanceMessage, settings: DicomIngestSettings): string[] {
  try {
    const identifier = patientIdentifier(message.instance, settings.patientIdentifierSystems);
    return [`${identifier.system}|${identifier.value}`];
  } catch (error) {
    if (error instanceof DicomIngestError) return message.instance.patient.id ? [message.instance.patient.id] : [];
    throw error;
  }
}
