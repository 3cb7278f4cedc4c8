import type { Binary } from '@medplum/fhirtypes';
import { HubError, hubError } from '../errors.ts';
import type { BlobStore } from './blob-store.ts';

/** Where a Binary version's bytes live in the blob store. */
export function binaryBlobKey(id: string, versionId: string): string {
  return `binary/${id}/${versionId}`;
}

/**
 * Moves `Binary.data` out of the resource into the blob store (durably) and returns the resource
 * as stored: without `data`. A Binary written with no data keeps no bytes.
 */
export async function storeBinaryData(blobs: BlobStore, binary: Binary & { id: string; meta: { versionId: string } }): Promise<Binary> {
  if (binary.data === undefined) return binary;
  const bytes = Buffer.from(binary.data, 'base64');
  await blobs.put(binaryBlobKey(binary.id, binary.meta.versionId), bytes);
  const { data: _data, ...rest } = binary;
  return rest;
}

export async function readBinaryBytes(blobs: BlobStore, binary: Binary): Promise<Buffer | undefined> {
  if (!binary.id || !binary.meta?.versionId) return undefined;
  const key = binaryBlobKey(binary.id, binary.meta.versionId);
  if (!(await blobs.exists(key))) return undefined;
  try {
    return await blobs.get(key);
  } catch (err) {
    throw hubError(HubError.BINARY_CONTENT_MISSING, `Bytes of Binary/${binary.id} could not be read: ${(err as Error).message}`);
  }
}
