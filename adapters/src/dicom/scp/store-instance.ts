import { randomUUID } from 'node:crypto';
import { closeSync, fsync, openSync, renameSync, statSync, writevSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { EXCHANGES, newEnvelope, type Envelope } from '@simpul/infra';
import { DicomParseError } from '../data/dicom-parse-error.ts';
import { extractInstanceMetadata, type InstanceMetadata } from '../data/instance-metadata.ts';
import { parseDicomFile, type ParsedDicom } from '../data/parse-dicom-file.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, datasetEncodingOf } from '../data/transfer-syntaxes.ts';
import { KeyedSerializer } from '../../ingest/worker/keyed-serializer.ts';
import type { KnownDirectories } from './known-directories.ts';
import type { ReceivedDataset } from './instance-receiver.ts';
import { DICOM_MESSAGE_CONTENT_TYPE, instanceBlobPath, instanceMessageId, type DicomInstanceMessage } from './instance-message.ts';
import { part10Header } from './part10-header.ts';
import { checkPixelData } from './pixel-data-check.ts';
import { STORE_STATUS, type StoreOutcome } from './store-status.ts';
import { fileHasContent, filesHaveSameContent, isWholePart10File } from './stored-file.ts';

const fsyncAsync = promisify(fsync);

/**
 * What the receiver does with one complete C-STORE data set before it answers: read the metadata from
 * the attributes before the pixel data, check the pixel data against the image attributes, put the file
 * at `dicom/<study>/<series>/<sop>.dcm` (once: a SOP Instance UID seen before is not written again),
 * then flush it to disk and publish the instance on the bus with confirms, both at once. Only when all
 * of that succeeded is the answer a success; anything else is a failure status with the reason.
 */

export interface InstancePublisher {
  publish(exchange: string, routingKey: string, envelope: Envelope): Promise<void>;
}

export interface StoreContext {
  /** `storage.dir`. */
  readonly storageDir: string;
  /** Where spilled and about-to-be-committed files are written (same file system as the blob store). */
  readonly incomingDir: string;
  readonly publisher: InstancePublisher;
  readonly timeZone: string;
  /** One per receiver process: two associations storing the same SOP Instance UID take turns. */
  readonly sopLocks: KeyedSerializer;
  /** The study and series directories, created durably once. */
  readonly directories: KnownDirectories;
}

export interface StoreRequest {
  /** Affected SOP Class and Instance UIDs of the C-STORE command. */
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly remoteAddress: string;
  readonly received: ReceivedDataset;
  /** The Part 10 header the file starts with (the data set follows). */
  readonly header: Buffer;
  /** The metadata, when it was read while the pixel data was still arriving (`readInstanceMetadata`). */
  readonly metadata?: InstanceMetadataRead;
}

/** What `readInstanceMetadata` gives: the parsed attributes and their summary, or why they cannot be read. */
export type InstanceMetadataRead = { readonly parsed: ParsedDicom; readonly instance: InstanceMetadata } | DicomParseError;

export async function storeInstance(request: StoreRequest, context: StoreContext): Promise<StoreOutcome> {
  const { received } = request;
  if (received.kind === 'too-large') {
    return { status: STORE_STATUS.outOfResources, reason: `the instance is larger than dicom.maxInstanceBytes (${received.bytes} bytes arrived)` };
  }
  if (received.kind === 'storage-failed') {
    return { status: STORE_STATUS.outOfResources, reason: `the instance could not be written: ${received.error.message}` };
  }
  if (received.kind === 'invalid') {
    return { status: STORE_STATUS.cannotUnderstand, reason: received.error.message };
  }
  const metadata = request.metadata ?? readInstanceMetadata(request, received.prefix, context.timeZone);
  if (metadata instanceof DicomParseError) return { status: STORE_STATUS.cannotUnderstand, reason: metadata.message };
  const { parsed, instance } = metadata;
  if (instance.sopInstanceUid !== request.sopInstanceUid || instance.sopClassUid !== request.sopClassUid) {
    return {
      status: STORE_STATUS.cannotUnderstand,
      reason:
        `UIDs differ from the C-STORE command: the data set is ${instance.sopClassUid} / ${instance.sopInstanceUid}, ` +
        `the command names ${request.sopClassUid} / ${request.sopInstanceUid}`,
    };
  }
  const pixels = checkPixelData(parsed.dataset, instance.sopClassUid, received.walk.pixelData);
  if (!pixels.ok && pixels.severity === 'error') {
    return { status: STORE_STATUS.datasetMismatch, reason: pixels.reason };
  }
  const path = instanceBlobPath(instance.studyInstanceUid, instance.seriesInstanceUid, instance.sopInstanceUid);
  const size = request.header.length + received.bytes;
  let placed: PlacedFile;
  try {
    placed = await context.sopLocks.run(instance.sopInstanceUid, () => placeOnce(request, path, context));
  } catch (error) {
    return { status: STORE_STATUS.outOfResources, reason: `the instance could not be written to the blob store: ${(error as Error).message}` };
  }
  const message: DicomInstanceMessage = {
    instance,
    file: { path, bytes: placed.duplicate ? placed.bytes : size },
    callingAeTitle: request.callingAeTitle,
    calledAeTitle: request.calledAeTitle,
    remoteAddress: request.remoteAddress,
  };
  const envelope = newEnvelope({
    id: instanceMessageId(instance.sopInstanceUid),
    kind: 'dicom',
    source: request.callingAeTitle,
    contentType: DICOM_MESSAGE_CONTENT_TYPE,
    body: message,
  });
  // The file is in place; flushing it to disk and the broker's confirm are waited for together. A
  // consumer that could see the message before the flush ends checks the file's size against the message.
  const [synced, published] = await Promise.allSettled([
    placed.flush(),
    context.publisher.publish(EXCHANGES.ingest, `dicom.${request.calledAeTitle}`, envelope),
  ]);
  if (synced.status === 'rejected') {
    return { status: STORE_STATUS.outOfResources, reason: `the instance could not be flushed to disk: ${(synced.reason as Error).message}` };
  }
  if (published.status === 'rejected') {
    // The file is kept: when the modality sends the instance again it is found and announced then.
    return { status: STORE_STATUS.outOfResources, reason: `the instance was stored but could not be queued for ingest: ${(published.reason as Error).message}`, path };
  }
  if (!pixels.ok) {
    return { status: STORE_STATUS.warningDatasetMismatch, reason: pixels.reason, path, duplicate: placed.duplicate, instance };
  }
  return { status: STORE_STATUS.success, path, duplicate: placed.duplicate, instance };
}

/** Parses the attributes before the pixel data as a small Part 10 file and summarises them. */
export function readInstanceMetadata(
  request: Pick<StoreRequest, 'sopClassUid' | 'sopInstanceUid' | 'transferSyntaxUid' | 'callingAeTitle' | 'header'>,
  prefix: Uint8Array,
  timeZone: string,
): InstanceMetadataRead {
  const deflated = datasetEncodingOf(request.transferSyntaxUid) === 'deflated-explicit-little';
  // The prefix of a deflated data set was kept inflated: it reads as explicit VR little endian.
  const header = deflated
    ? part10Header({ sopClassUid: request.sopClassUid, sopInstanceUid: request.sopInstanceUid, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN, sourceAeTitle: request.callingAeTitle })
    : request.header;
  try {
    const parsed = parseDicomFile(Buffer.concat([header, prefix]));
    const instance = { ...extractInstanceMetadata(parsed, { defaultTimeZone: timeZone }), transferSyntaxUid: request.transferSyntaxUid };
    return { parsed, instance };
  } catch (error) {
    if (error instanceof DicomParseError) return error;
    throw error;
  }
}

interface PlacedFile {
  /** The same SOP Instance UID was there already; nothing was written. */
  readonly duplicate: boolean;
  /** Size of the file now under the instance's path. */
  readonly bytes: number;
  /** fsync of the file and of its directory (the directory's sync is shared with concurrent instances). */
  flush(): Promise<void>;
}

/**
 * Puts the instance's file under its final name (not yet flushed) unless the same instance is already
 * there: the same bytes, or another whole file under that UID, which is kept (the first copy wins). A
 * file left incomplete by a crash is replaced.
 */
async function placeOnce(request: StoreRequest, path: string, context: StoreContext): Promise<PlacedFile> {
  const { received } = request;
  if (received.kind !== 'complete') throw new Error('only a complete data set is written');
  const dir = dirname(path);
  const finalPath = join(context.storageDir, path);
  const flushAt = (fd?: number) => async () => {
    const descriptor = fd ?? openSync(finalPath, 'r');
    try {
      await fsyncAsync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    await context.directories.sync(dir);
  };
  const existing = sizeOf(finalPath);
  if (existing !== undefined) {
    const same = received.chunks
      ? await fileHasContent(finalPath, [request.header, ...received.chunks])
      : await filesHaveSameContent(finalPath, received.spilledTo as string);
    if (same || (await isWholePart10File(finalPath))) {
      if (received.spilledTo) await rm(received.spilledTo, { force: true });
      // Another association may have written it a moment ago: it is durable once this flush ends.
      return { duplicate: true, bytes: existing, flush: flushAt() };
    }
  }
  await context.directories.ensure(dir);
  const bytes = request.header.length + received.bytes;
  if (received.spilledTo) {
    await rename(received.spilledTo, finalPath).catch(async (error: unknown) => {
      await rm(received.spilledTo as string, { force: true });
      throw error;
    });
    return { duplicate: false, bytes, flush: flushAt() };
  }
  // Written, renamed and flushed through one descriptor: the rename is in the same journal commit as the
  // data. The calls that only touch the page cache and the directory are synchronous: each takes
  // microseconds, less than a round trip through libuv's thread pool, and this is the path every
  // instance waits on. Only the fsync, which waits for the disk, goes to the thread pool.
  const tmpPath = join(context.incomingDir, `${randomUUID()}.part`);
  const fd = openSync(tmpPath, 'w');
  try {
    writevSync(fd, [request.header, ...(received.chunks ?? [])]);
    renameSync(tmpPath, finalPath);
  } catch (error) {
    closeSync(fd);
    await rm(tmpPath, { force: true });
    throw error;
  }
  return { duplicate: false, bytes, flush: flushAt(fd) };
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
