import { DicomParseError, formatTag } from '../data/dicom-parse-error.ts';

/**
 * Checks the structure of a data set while it arrives over the network, chunk by chunk, without
 * keeping it: every element header is read, every value is skipped, and what does not add up (a value
 * longer than what arrived, an undefined-length sequence without its delimitation, an item tag where an
 * element belongs) is reported when the data set ends. The same checks as `checkPart10Structure` on a
 * whole file, but in constant memory, so a 2 GB multi-frame instance is checked as it streams to disk.
 * Also notes where the top-level elements start, so the receiver can keep just the attributes before
 * the pixel data for the metadata.
 */

export type WalkerEncoding = 'implicit-little' | 'explicit-little' | 'explicit-big';

/** Where the top-level pixel data element is (Pixel Data, Float Pixel Data or Double Float Pixel Data). */
export interface PixelDataElement {
  readonly tag: string;
  /** Offset of the element header in the data set. */
  readonly headerOffset: number;
  /** Declared value length; undefined for encapsulated (compressed) pixel data. */
  readonly length: number | undefined;
  /** Number of items (offset table + fragments) of encapsulated pixel data. */
  readonly fragments: number;
}

export interface WalkResult {
  readonly length: number;
  readonly pixelData: PixelDataElement | undefined;
}

const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;
const MAX_DEPTH = 64;
const PIXEL_DATA_TAGS = new Set([0x7fe00010, 0x7fe00008, 0x7fe00009]);

// PS3.5 7.1.2: the explicit VRs whose length field is 4 bytes (after 2 reserved bytes).
const VRS_WITH_4_BYTE_LENGTH = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const VRS_WITH_2_BYTE_LENGTH = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US',
]);

/** What the walker is inside of: the top-level data set, an item, a sequence, or encapsulated pixel data. */
type Frame =
  | { kind: 'dataset'; explicitVr: boolean; owner: string }
  | { kind: 'sequence'; explicitVr: boolean; owner: string }
  | { kind: 'fragments'; owner: string };

export class DatasetWalker {
  readonly #littleEndian: boolean;
  readonly #stack: Frame[];
  /** Bytes of an element or item header that began in an earlier chunk. */
  #pending: Uint8Array = new Uint8Array(0);
  #position = 0;
  /** Value bytes still to skip, and what they belong to (for the message if they never come). */
  #skip = 0;
  #skipping: { what: string; tag: string | undefined; declared: number; valueOffset: number } | undefined;
  #failure: DicomParseError | undefined;
  #pixelData: { tag: string; headerOffset: number; length: number | undefined; fragments: number } | undefined;
  readonly #onTopLevelElement: ((offset: number, tag: number) => void) | undefined;

  constructor(encoding: WalkerEncoding, onTopLevelElement?: (offset: number, tag: number) => void) {
    this.#littleEndian = encoding !== 'explicit-big';
    this.#stack = [{ kind: 'dataset', explicitVr: encoding !== 'implicit-little', owner: 'the data set' }];
    this.#onTopLevelElement = onTopLevelElement;
  }

  /** Bytes seen so far. */
  get position(): number {
    return this.#position;
  }

  /** The first structural error, as soon as it is known (the rest of the stream is then ignored). */
  get failure(): DicomParseError | undefined {
    return this.#failure;
  }

  push(chunk: Uint8Array): void {
    if (this.#failure) {
      this.#position += chunk.length;
      return;
    }
    try {
      this.#consume(chunk);
    } catch (error) {
      if (!(error instanceof DicomParseError)) throw error;
      this.#failure = error;
    }
  }

  /** The data set has ended: throws DicomParseError if anything was cut short or malformed. */
  finish(): WalkResult {
    if (this.#failure) throw this.#failure;
    if (this.#skipping && this.#skip > 0) {
      const { what, tag, declared, valueOffset } = this.#skipping;
      throw new DicomParseError(
        'truncated',
        `truncated: ${what} declares ${declared} bytes at offset ${valueOffset} but only ${declared - this.#skip} arrived`,
        { offset: valueOffset, tag },
      );
    }
    if (this.#pending.length > 0) {
      throw new DicomParseError('truncated', `truncated: the data set ends inside an element header at offset ${this.#position - this.#pending.length}`, {
        offset: this.#position - this.#pending.length,
      });
    }
    const open = this.#stack.at(-1);
    if (this.#stack.length > 1 && open) {
      throw new DicomParseError('truncated', `truncated: ${open.owner} (undefined length) ends at offset ${this.#position} without its delimitation`, {
        offset: this.#position,
      });
    }
    const pixelData = this.#pixelData ? { ...this.#pixelData } : undefined;
    return { length: this.#position, pixelData };
  }

  #consume(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, chunk.length - offset);
        this.#skip -= step;
        offset += step;
        this.#position += step;
        continue;
      }
      const needed = this.#headerLength(chunk, offset);
      if (needed === undefined || this.#pending.length + (chunk.length - offset) < needed) {
        // Not enough bytes to know the header yet: keep them for the next chunk.
        this.#pending = concat(this.#pending, chunk.subarray(offset));
        this.#position += chunk.length - offset;
        return;
      }
      const fromChunk = needed - this.#pending.length;
      const header = this.#pending.length === 0 ? chunk.subarray(offset, offset + needed) : concat(this.#pending, chunk.subarray(offset, offset + fromChunk));
      const headerOffset = this.#position - this.#pending.length;
      this.#pending = new Uint8Array(0);
      offset += fromChunk;
      this.#position += fromChunk;
      this.#element(header, headerOffset);
    }
  }

  /**
   * How many header bytes the next element needs (8 or 12), once its first 6 bytes are known; undefined
   * until then. Items and delimiters are always 8.
   */
  #headerLength(chunk: Uint8Array, offset: number): number | undefined {
    const top = this.#stack.at(-1);
    if (!top || top.kind !== 'dataset' || !top.explicitVr) return 8;
    const available = this.#pending.length + chunk.length - offset;
    if (available < 6) return undefined;
    const byteAt = (i: number) => (i < this.#pending.length ? this.#pending[i] : chunk[offset + i - this.#pending.length]);
    const group = this.#littleEndian ? byteAt(0) | (byteAt(1) << 8) : (byteAt(0) << 8) | byteAt(1);
    if (group === 0xfffe) return 8;
    const vr = String.fromCharCode(byteAt(4), byteAt(5));
    return VRS_WITH_4_BYTE_LENGTH.has(vr) ? 12 : 8;
  }

  #element(header: Uint8Array, headerOffset: number): void {
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const group = view.getUint16(0, this.#littleEndian);
    const element = view.getUint16(2, this.#littleEndian);
    const tagValue = ((group << 16) | element) >>> 0;
    const tag = formatTag(group, element);
    const top = this.#stack.at(-1) as Frame;
    if (top.kind !== 'dataset') {
      this.#itemOrDelimiter(tagValue, tag, view.getUint32(4, this.#littleEndian), headerOffset, top);
      return;
    }
    if (tagValue === ITEM_DELIMITATION) {
      if (this.#stack.length === 1) {
        throw malformed(`an item delimitation at offset ${headerOffset} is outside any undefined-length item`, headerOffset, tag);
      }
      this.#stack.pop();
      return;
    }
    if (group === 0xfffe) {
      throw malformed(`unexpected ${tag} item tag at offset ${headerOffset} where a data element should be`, headerOffset, tag);
    }
    if (this.#stack.length === 1) this.#onTopLevelElement?.(headerOffset, tagValue);
    let vr: string | undefined;
    let length: number;
    if (top.explicitVr) {
      vr = String.fromCharCode(header[4], header[5]);
      if (VRS_WITH_4_BYTE_LENGTH.has(vr)) {
        length = view.getUint32(8, this.#littleEndian);
      } else if (VRS_WITH_2_BYTE_LENGTH.has(vr)) {
        length = view.getUint16(6, this.#littleEndian);
      } else {
        throw malformed(`element ${tag} at offset ${headerOffset} has no valid VR (found ${JSON.stringify(vr)})`, headerOffset, tag);
      }
    } else {
      length = view.getUint32(4, this.#littleEndian);
    }
    const valueOffset = headerOffset + header.length;
    const topLevelPixels = this.#stack.length === 1 && PIXEL_DATA_TAGS.has(tagValue);
    if (length !== UNDEFINED_LENGTH) {
      if (topLevelPixels) this.#pixelData = { tag, headerOffset, length, fragments: 0 };
      this.#startSkip(length, topLevelPixels ? `${tag} Pixel Data` : `element ${tag}`, tag, valueOffset);
      return;
    }
    if (this.#stack.length > MAX_DEPTH) {
      throw malformed(`sequences nested more than ${MAX_DEPTH} deep at ${tag}`, headerOffset, tag);
    }
    if (topLevelPixels && top.explicitVr && vr !== 'SQ' && vr !== 'UN') {
      this.#pixelData = { tag, headerOffset, length: undefined, fragments: 0 };
      this.#stack.push({ kind: 'fragments', owner: `${tag} Pixel Data` });
      return;
    }
    // An undefined-length UN holds implicit VR little endian content (PS3.5 6.2.2).
    this.#stack.push({ kind: 'sequence', explicitVr: top.explicitVr && vr !== 'UN', owner: `element ${tag}` });
  }

  #itemOrDelimiter(tagValue: number, tag: string, length: number, headerOffset: number, top: Exclude<Frame, { kind: 'dataset' }>): void {
    if (tagValue === SEQUENCE_DELIMITATION) {
      this.#stack.pop();
      return;
    }
    if (tagValue !== ITEM) {
      throw malformed(`expected an item tag inside ${top.owner} at offset ${headerOffset}, found ${tag}`, headerOffset, tag);
    }
    if (top.kind === 'fragments') {
      if (length === UNDEFINED_LENGTH) {
        throw malformed(`a fragment of ${top.owner} at offset ${headerOffset} has an undefined length`, headerOffset, tag);
      }
      if (this.#pixelData) this.#pixelData.fragments += 1;
      this.#startSkip(length, `a fragment of ${top.owner}`, undefined, headerOffset + 8);
      return;
    }
    if (length === UNDEFINED_LENGTH) {
      this.#stack.push({ kind: 'dataset', explicitVr: top.explicitVr, owner: `an item of ${top.owner}` });
    } else {
      this.#startSkip(length, `an item of ${top.owner}`, undefined, headerOffset + 8);
    }
  }

  #startSkip(length: number, what: string, tag: string | undefined, valueOffset: number): void {
    this.#skip = length;
    this.#skipping = { what, tag, declared: length, valueOffset };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

function malformed(message: string, offset: number, tag: string): DicomParseError {
  return new DicomParseError('malformed', `malformed data set: ${message}`, { offset, tag });
}
