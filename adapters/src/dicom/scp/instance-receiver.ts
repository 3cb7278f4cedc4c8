import { randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { DicomParseError } from '../data/dicom-parse-error.ts';
import { datasetEncodingOf } from '../data/transfer-syntaxes.ts';
import { DatasetWalker, type WalkResult } from './dataset-walker.ts';

/**
 * Where the data set of one C-STORE goes, PDV slice by PDV slice, as the PduRouter reads it off the socket:
 * - checks the structure as the bytes arrive (DatasetWalker), through an inflater for the deflated syntax;
 * - keeps the attributes before the pixel data (the "prefix") for the metadata;
 * - holds a small instance in memory (written with one writev when it is committed) and streams a large
 *   one to a temporary file under `incomingDir`, so memory stays bounded whatever a modality sends;
 * - stops keeping bytes past `maxInstanceBytes` (the C-STORE then fails with out of resources).
 * While it spills to disk, each write completes when the disk has it, so `write()` returns false and the
 * association's socket pauses when the disk falls behind the network.
 */

export interface ReceiverLimits {
  /** Largest data set kept. */
  readonly maxInstanceBytes: number;
  /** Data sets larger than this go to a temporary file as they arrive. */
  readonly spillBytes: number;
  /** At most this much of the data set before the pixel data is kept for the metadata. */
  readonly prefixBytes: number;
}

export const DEFAULT_RECEIVER_LIMITS: ReceiverLimits = { maxInstanceBytes: 4 * 1024 ** 3, spillBytes: 16 * 1024 ** 2, prefixBytes: 16 * 1024 ** 2 };

/** What arrived for one C-STORE, once the data set is complete. */
export type ReceivedDataset =
  | { readonly kind: 'too-large'; readonly bytes: number }
  | { readonly kind: 'storage-failed'; readonly bytes: number; readonly error: Error }
  | { readonly kind: 'invalid'; readonly bytes: number; readonly error: DicomParseError }
  | {
      readonly kind: 'complete';
      readonly bytes: number;
      readonly walk: WalkResult;
      /** The data set up to the pixel data (inflated for the deflated syntax), cut at an element boundary. */
      readonly prefix: Uint8Array;
      /** The data set in memory, or undefined when it is in `spilledTo`. */
      readonly chunks: readonly Buffer[] | undefined;
      /** Temporary file holding the Part 10 header followed by the data set. */
      readonly spilledTo: string | undefined;
    };

/** The temporary file: writes are queued in order; the first failure is kept and stops the rest. */
interface SpillFile {
  readonly path: string;
  handle: FileHandle | undefined;
  queue: Promise<void>;
  error: Error | undefined;
}

export class InstanceReceiver extends Writable {
  readonly #header: Buffer;
  readonly #incomingDir: string;
  readonly #limits: ReceiverLimits;
  readonly #walker: DatasetWalker;
  readonly #inflater: InflateRaw | undefined;
  #inflateError: Error | undefined;
  #bytes = 0;
  #chunks: Buffer[] | undefined = [];
  #spill: SpillFile | undefined;
  readonly #prefixParts: Uint8Array[] = [];
  #prefixLength = 0;
  /** Offset where the prefix stops: the pixel data header, or the last element start before the cap. */
  #prefixEnd: number | undefined;
  #lastTopLevelStart = 0;
  #tooLarge = false;
  readonly #onPrefix: ((prefix: Uint8Array) => void) | undefined;
  #prefixAnnounced = false;
  readonly #result: Promise<ReceivedDataset>;
  #settle: ((value: ReceivedDataset) => void) | undefined;

  /**
   * `onPrefix` is called once the attributes before the pixel data are all in, while the pixel data is
   * still arriving, so the metadata can be read then rather than after the last byte.
   */
  constructor(options: { header: Buffer; transferSyntaxUid: string; incomingDir: string; limits?: ReceiverLimits; onPrefix?: (prefix: Uint8Array) => void }) {
    super({ highWaterMark: 16 * 1024 * 1024, decodeStrings: false });
    this.#header = options.header;
    this.#incomingDir = options.incomingDir;
    this.#limits = options.limits ?? DEFAULT_RECEIVER_LIMITS;
    this.#onPrefix = options.onPrefix;
    const encoding = datasetEncodingOf(options.transferSyntaxUid);
    this.#walker = new DatasetWalker(encoding === 'deflated-explicit-little' ? 'explicit-little' : encoding, (offset, tag) =>
      this.#topLevelElement(offset, tag),
    );
    if (encoding === 'deflated-explicit-little') {
      this.#inflater = createInflateRaw();
      this.#inflater.on('data', (inflated: Buffer) => this.#examine(inflated));
      this.#inflater.on('error', (error) => {
        this.#inflateError = error;
      });
    }
    this.#result = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  /** Resolves once the data set has ended (after `end()`), whatever happened to it. */
  received(): Promise<ReceivedDataset> {
    return this.#result;
  }

  /** Removes the temporary file, if any (after a failure, or once the file was moved elsewhere it is a no-op). */
  async discard(): Promise<void> {
    if (!this.#spill) return;
    const spill = this.#spill;
    await spill.queue;
    await spill.handle?.close().catch(() => undefined);
    spill.handle = undefined;
    await rm(spill.path, { force: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#bytes += chunk.length;
    if (this.#tooLarge || this.#bytes > this.#limits.maxInstanceBytes) {
      this.#tooLarge = true;
      this.#chunks = undefined;
      callback();
      return;
    }
    if (this.#inflater) {
      this.#inflater.write(chunk);
    } else {
      this.#examine(chunk);
    }
    const written = this.#keep(chunk);
    if (written) {
      // Spilling to disk: the next chunk waits for this write, so a slow disk slows the socket, not memory.
      void written.then(() => callback());
    } else {
      callback();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#complete().then(
      (result) => {
        this.#settle?.(result);
        callback();
      },
      (error: unknown) => {
        const failure = new DicomParseError('malformed', `the data set could not be received: ${(error as Error).message}`, { cause: error });
        this.#settle?.({ kind: 'invalid', bytes: this.#bytes, error: failure });
        callback();
      },
    );
  }

  async #complete(): Promise<ReceivedDataset> {
    if (this.#inflater && !this.#inflateError) {
      const inflater = this.#inflater;
      await new Promise<void>((resolve) => {
        inflater.once('end', resolve);
        inflater.once('error', () => resolve());
        inflater.end();
      });
    }
    if (this.#spill) {
      const spill = this.#spill;
      await spill.queue;
      await spill.handle?.close().catch((error: Error) => {
        spill.error ??= error;
      });
      spill.handle = undefined;
      if (spill.error) {
        await this.discard();
        return { kind: 'storage-failed', bytes: this.#bytes, error: spill.error };
      }
    }
    if (this.#tooLarge) {
      await this.discard();
      return { kind: 'too-large', bytes: this.#bytes };
    }
    let walk: WalkResult;
    try {
      if (this.#inflateError) throw inflateFailure(this.#inflateError);
      walk = this.#walker.finish();
    } catch (error) {
      if (!(error instanceof DicomParseError)) throw error;
      await this.discard();
      return { kind: 'invalid', bytes: this.#bytes, error };
    }
    return {
      kind: 'complete',
      bytes: this.#bytes,
      walk,
      prefix: this.#prefix(),
      chunks: this.#chunks,
      spilledTo: this.#spill?.path,
    };
  }

  /** Structure check and prefix capture, on the data set as encoded (inflated for deflated). */
  #examine(bytes: Uint8Array): void {
    const start = this.#walker.position;
    this.#walker.push(bytes);
    const capturing = this.#prefixEnd === undefined || start < this.#prefixEnd;
    if (!capturing) return;
    const cap = Math.min(this.#prefixEnd ?? Infinity, this.#limits.prefixBytes);
    const wanted = Math.max(0, Math.min(bytes.length, cap - start));
    if (wanted > 0) {
      this.#prefixParts.push(bytes.subarray(0, wanted));
      this.#prefixLength += wanted;
    }
    if (this.#prefixEnd === undefined && start + bytes.length >= this.#limits.prefixBytes) {
      // The cap is reached before any pixel data: keep whole elements only.
      this.#prefixEnd = this.#lastTopLevelStart;
    }
    if (this.#onPrefix && !this.#prefixAnnounced && this.#prefixEnd !== undefined && this.#prefixLength >= this.#prefixEnd && !this.#walker.failure) {
      this.#prefixAnnounced = true;
      this.#onPrefix(this.#prefix());
    }
  }

  #topLevelElement(offset: number, tag: number): void {
    if (this.#prefixEnd !== undefined) return;
    if (tag === 0x7fe00010 || tag === 0x7fe00008 || tag === 0x7fe00009) {
      this.#prefixEnd = offset;
    } else if (offset <= this.#limits.prefixBytes) {
      this.#lastTopLevelStart = offset;
    }
  }

  #prefix(): Uint8Array {
    const joined = Buffer.concat(this.#prefixParts, this.#prefixLength);
    return joined.subarray(0, Math.min(this.#prefixEnd ?? joined.length, joined.length));
  }

  /** Keeps the raw (as received) bytes: in memory, or in the temporary file once they grow large. */
  #keep(chunk: Buffer): Promise<void> | undefined {
    if (this.#chunks) {
      this.#chunks.push(chunk);
      if (this.#bytes <= this.#limits.spillBytes) return undefined;
      const pending = [this.#header, ...this.#chunks];
      this.#chunks = undefined;
      const spill: SpillFile = {
        path: join(this.#incomingDir, `${randomUUID()}.part`),
        handle: undefined,
        queue: Promise.resolve(),
        error: undefined,
      };
      this.#spill = spill;
      return this.#enqueue(spill, async () => {
        spill.handle = await open(spill.path, 'w');
        await spill.handle.writev(pending);
      });
    }
    const spill = this.#spill;
    if (!spill) return undefined;
    return this.#enqueue(spill, async () => {
      await spill.handle?.write(chunk);
    });
  }

  /** Queues a write; the returned promise never rejects (the first failure is kept in `spill.error`). */
  #enqueue(spill: SpillFile, write: () => Promise<void>): Promise<void> {
    spill.queue = spill.queue.then(async () => {
      if (spill.error) return;
      try {
        await write();
      } catch (error) {
        spill.error = error as Error;
      }
    });
    return spill.queue;
  }
}

function inflateFailure(error: Error): DicomParseError {
  const truncated = (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' || /unexpected end/i.test(error.message);
  return new DicomParseError(truncated ? 'truncated' : 'malformed', `the deflated data set cannot be inflated: ${error.message}`, { cause: error });
}
