import { open, readFile } from 'node:fs/promises';
import { parsePart10Meta, Part10FormatError, PART10_HEADER_WINDOW, type Part10Meta } from './part10-file.ts';

/** Reads stored instance files: the header first (to plan the association), the data set when it is sent. */

export interface InstanceFile {
  readonly sopInstanceUid: string;
  readonly path: string;
}

export type HeaderResult =
  | { readonly ok: true; readonly meta: Part10Meta }
  | { readonly ok: false; readonly retryable: boolean; readonly text: string };

export async function readInstanceHeader(file: InstanceFile): Promise<HeaderResult> {
  let bytes: Buffer;
  let size: number;
  try {
    const handle = await open(file.path, 'r');
    try {
      size = (await handle.stat()).size;
      const window = Buffer.alloc(Math.min(size, PART10_HEADER_WINDOW));
      const { bytesRead } = await handle.read(window, 0, window.length, 0);
      bytes = window.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { ok: false, ...describeReadError(file.path, error) };
  }
  try {
    const meta = parsePart10Meta(bytes, size);
    if (meta.sopInstanceUid !== file.sopInstanceUid) {
      return { ok: false, retryable: false, text: `${file.path} holds SOP instance ${meta.sopInstanceUid}, not ${file.sopInstanceUid}` };
    }
    return { ok: true, meta };
  } catch (error) {
    if (error instanceof Part10FormatError) return { ok: false, retryable: false, text: `${file.path}: ${error.message}` };
    throw error;
  }
}

export type DatasetResult = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly retryable: boolean; readonly text: string };

export async function readInstanceDataset(file: InstanceFile, meta: Part10Meta): Promise<DatasetResult> {
  try {
    const bytes = await readFile(file.path);
    return { ok: true, bytes: bytes.subarray(meta.datasetOffset) };
  } catch (error) {
    return { ok: false, ...describeReadError(file.path, error) };
  }
}

/** A missing file may still be being written (retry); anything else the filesystem says is retried too, as it can be fixed. */
function describeReadError(path: string, error: unknown): { retryable: boolean; text: string } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { retryable: true, text: `instance file missing from the blob store: ${path}` };
  if (code === 'EISDIR') return { retryable: false, text: `instance file is a directory: ${path}` };
  return { retryable: true, text: `cannot read instance file ${path}: ${code ?? (error as Error).message}` };
}
