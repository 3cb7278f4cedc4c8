import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { DicomParseError } from '../data/dicom-parse-error.ts';
import { datasetEncodingOf } from '../data/transfer-syntaxes.ts';
import { DatasetWalker } from './dataset-walker.ts';

/**
 * What is already in the blob store under a SOP Instance UID that arrives again: the same bytes (the
 * instance is a duplicate), a whole other file (the first one is kept), or an incomplete file a crash
 * left before its C-STORE was answered (it is replaced).
 */

const CHUNK = 1024 * 1024;

/** Compares a file with the bytes of a received instance (header + data set chunks) without loading the file. */
export async function fileHasContent(path: string, parts: readonly Uint8Array[]): Promise<boolean> {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const info = await stat(path);
  if (info.size !== total) return false;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    let position = 0;
    for (const part of parts) {
      let offset = 0;
      while (offset < part.length) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, part.length - offset), position);
        if (bytesRead === 0) return false;
        if (!buffer.subarray(0, bytesRead).equals(part.subarray(offset, offset + bytesRead))) return false;
        offset += bytesRead;
        position += bytesRead;
      }
    }
    return true;
  } finally {
    await handle.close();
  }
}

/** Compares two files byte for byte. */
export async function filesHaveSameContent(a: string, b: string): Promise<boolean> {
  const [infoA, infoB] = await Promise.all([stat(a), stat(b)]);
  if (infoA.size !== infoB.size) return false;
  const [handleA, handleB] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const bufferA = Buffer.alloc(CHUNK);
    const bufferB = Buffer.alloc(CHUNK);
    for (let position = 0; position < infoA.size; position += CHUNK) {
      const [readA, readB] = await Promise.all([handleA.read(bufferA, 0, CHUNK, position), handleB.read(bufferB, 0, CHUNK, position)]);
      if (readA.bytesRead !== readB.bytesRead || !bufferA.subarray(0, readA.bytesRead).equals(bufferB.subarray(0, readB.bytesRead))) return false;
    }
    return true;
  } finally {
    await Promise.all([handleA.close(), handleB.close()]);
  }
}

/** True when the file is a whole Part 10 file: its meta group reads and every element of its data set is complete. */
export async function isWholePart10File(path: string): Promise<boolean> {
  try {
    const { datasetOffset, transferSyntaxUid } = await readFileMeta(path);
    const encoding = datasetEncodingOf(transferSyntaxUid);
    const walker = new DatasetWalker(encoding === 'deflated-explicit-little' ? 'explicit-little' : encoding);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        walker.push(chunk);
        callback(walker.failure);
      },
    });
    const source = createReadStream(path, { start: datasetOffset, highWaterMark: CHUNK });
    if (encoding === 'deflated-explicit-little') {
      await pipeline(source, createInflateRaw(), sink);
    } else {
      await pipeline(source, sink);
    }
    walker.finish();
    return true;
  } catch (error) {
    if (error instanceof DicomParseError || (error as NodeJS.ErrnoException).code?.startsWith('Z_')) return false;
    throw error;
  }
}

/** Reads the file meta group (explicit VR little endian, PS3.10 7.1) for the transfer syntax and where the data set starts. */
async function readFileMeta(path: string): Promise<{ datasetOffset: number; transferSyntaxUid: string }> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    if (bytes.length < 144 || bytes.toString('latin1', 128, 132) !== 'DICM') {
      throw new DicomParseError('not-part10', `${path} has no DICM prefix`);
    }
    let position = 132;
    let transferSyntaxUid: string | undefined;
    while (position + 8 <= bytes.length && bytes.readUInt16LE(position) === 0x0002) {
      const element = bytes.readUInt16LE(position + 2);
      const vr = bytes.toString('latin1', position + 4, position + 6);
      const long = vr === 'OB' || vr === 'UN' || vr === 'UT' || vr === 'SQ';
      const length = long ? bytes.readUInt32LE(position + 8) : bytes.readUInt16LE(position + 6);
      const valueOffset = position + (long ? 12 : 8);
      if (valueOffset + length > bytes.length) throw new DicomParseError('truncated', `${path}: the file meta group is cut short`);
      if (element === 0x0010) transferSyntaxUid = bytes.toString('latin1', valueOffset, valueOffset + length).replace(/[\0 ]+$/, '');
      position = valueOffset + length;
    }
    if (!transferSyntaxUid) throw new DicomParseError('missing-attribute', `${path}: no Transfer Syntax UID in the file meta group`);
    return { datasetOffset: position, transferSyntaxUid };
  } finally {
    await handle.close();
  }
}
