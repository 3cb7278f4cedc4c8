import { inflateRawSync } from 'node:zlib';

/**
 * Reads just enough of a DICOM Part 10 file (PS3.10 §7) to know which instance it is: the 128-byte
 * preamble, "DICM", the file meta group (always explicit VR little endian), then the data set's
 * element headers up to (0020,000E), skipping values (sequences of undefined length included).
 *
 * Written here rather than with dcmjs because the sandbox needs four tags, must refuse what dcmjs
 * reads leniently (a stream cut inside an element it needs), must not decode pixel data, and infra
 * carries no dcmjs type declarations. Supported data set encodings: explicit VR little endian
 * (and every encapsulated syntax, which uses it), implicit VR little endian, explicit VR big endian,
 * deflated explicit VR little endian.
 */

export interface Part10Identity {
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid?: string;
  sopClassUid?: string;
  transferSyntaxUid: string;
}

export class Part10ReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Part10ReadError';
  }
}

const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';
const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';

const TRANSFER_SYNTAX_UID = 0x00020010;
const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;
const STUDY_INSTANCE_UID = 0x0020000d;
const SERIES_INSTANCE_UID = 0x0020000e;

const ITEM = 0xfffee000;
const ITEM_DELIMITER = 0xfffee00d;
const SEQUENCE_DELIMITER = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;

/** VRs whose explicit header has 2 reserved bytes and a 4-byte length (PS3.5 §7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const MAX_NESTING = 32;
const UID = /^[0-9]+(?:\.[0-9]+)*$/;

interface Encoding {
  explicitVr: boolean;
  littleEndian: boolean;
}

interface ElementHeader {
  tag: number;
  vr: string | undefined;
  length: number;
  valueStart: number;
}

export function readPart10Identity(file: Uint8Array): Part10Identity {
  if (file.length < 132 || Buffer.from(file.subarray(128, 132)).toString('latin1') !== 'DICM') {
    throw new Part10ReadError('not a DICOM Part 10 file: no "DICM" after the 128-byte preamble');
  }
  const meta = new Cursor(file, 132, { explicitVr: true, littleEndian: true });
  let transferSyntaxUid: string | undefined;
  while (!meta.atEnd() && meta.peekGroup() === 0x0002) {
    const header = meta.readHeader();
    if (header.length === UNDEFINED_LENGTH) throw new Part10ReadError('a file meta element has an undefined length');
    if (header.tag === TRANSFER_SYNTAX_UID) transferSyntaxUid = meta.readUid(header, 'Transfer Syntax UID (0002,0010)');
    else meta.skip(header.length);
  }
  if (transferSyntaxUid === undefined) throw new Part10ReadError('the file meta group has no Transfer Syntax UID (0002,0010)');

  const dataset = datasetCursor(file, meta.position, transferSyntaxUid);
  const found = new Map<number, string>();
  const names: Record<number, string> = {
    [SOP_CLASS_UID]: 'SOP Class UID (0008,0016)',
    [SOP_INSTANCE_UID]: 'SOP Instance UID (0008,0018)',
    [STUDY_INSTANCE_UID]: 'Study Instance UID (0020,000D)',
    [SERIES_INSTANCE_UID]: 'Series Instance UID (0020,000E)',
  };
  while (!dataset.atEnd()) {
    const header = dataset.readHeader();
    if (header.tag > SERIES_INSTANCE_UID) break;
    if (names[header.tag] !== undefined && header.length !== UNDEFINED_LENGTH) {
      found.set(header.tag, dataset.readUid(header, names[header.tag]));
    } else {
      dataset.skipValue(header, 0);
    }
  }
  const sopInstanceUid = found.get(SOP_INSTANCE_UID);
  const studyInstanceUid = found.get(STUDY_INSTANCE_UID);
  if (sopInstanceUid === undefined) throw new Part10ReadError('the data set has no SOP Instance UID (0008,0018)');
  if (studyInstanceUid === undefined) throw new Part10ReadError('the data set has no Study Instance UID (0020,000D)');
  return {
    sopInstanceUid,
    studyInstanceUid,
    seriesInstanceUid: found.get(SERIES_INSTANCE_UID),
    sopClassUid: found.get(SOP_CLASS_UID),
    transferSyntaxUid,
  };
}

function datasetCursor(file: Uint8Array, start: number, transferSyntaxUid: string): Cursor {
  if (transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN) return new Cursor(file, start, { explicitVr: false, littleEndian: true });
  if (transferSyntaxUid === EXPLICIT_VR_BIG_ENDIAN) return new Cursor(file, start, { explicitVr: true, littleEndian: false });
  if (transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(file.subarray(start));
    } catch (error) {
      throw new Part10ReadError(`the deflated data set does not inflate: ${(error as Error).message}`);
    }
    return new Cursor(inflated, 0, { explicitVr: true, littleEndian: true });
  }
  return new Cursor(file, start, { explicitVr: true, littleEndian: true });
}

class Cursor {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly encoding: Encoding;
  position: number;

  constructor(bytes: Uint8Array, position: number, encoding: Encoding) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = position;
    this.encoding = encoding;
  }

  atEnd(): boolean {
    return this.position >= this.bytes.length;
  }

  peekGroup(): number {
    this.need(2);
    return this.view.getUint16(this.position, this.encoding.littleEndian);
  }

  readHeader(encoding: Encoding = this.encoding): ElementHeader {
    const start = this.position;
    this.need(8);
    const group = this.view.getUint16(start, encoding.littleEndian);
    const element = this.view.getUint16(start + 2, encoding.littleEndian);
    const tag = ((group << 16) | element) >>> 0;
    if (group === 0xfffe || !encoding.explicitVr) {
      this.position = start + 8;
      return { tag, vr: undefined, length: this.view.getUint32(start + 4, encoding.littleEndian), valueStart: this.position };
    }
    const vr = String.fromCharCode(this.bytes[start + 4], this.bytes[start + 5]);
    if (!/^[A-Z]{2}$/.test(vr)) throw new Part10ReadError(`element ${tagText(tag)} at byte ${start} has no valid VR`);
    if (LONG_VRS.has(vr)) {
      this.need(12);
      this.position = start + 12;
      return { tag, vr, length: this.view.getUint32(start + 8, encoding.littleEndian), valueStart: this.position };
    }
    this.position = start + 8;
    return { tag, vr, length: this.view.getUint16(start + 6, encoding.littleEndian), valueStart: this.position };
  }

  readUid(header: ElementHeader, name: string): string {
    this.need(header.length);
    const text = Buffer.from(this.bytes.subarray(this.position, this.position + header.length))
      .toString('latin1')
      .replace(/[\0 ]+$/, '')
      .trim();
    this.position += header.length;
    if (text.length === 0 || text.length > 64 || !UID.test(text)) throw new Part10ReadError(`${name} is not a valid UID: "${text}"`);
    return text;
  }

  skip(length: number): void {
    this.need(length);
    this.position += length;
  }

  /** Skips an element's value; an undefined length means items up to a sequence delimiter. */
  skipValue(header: ElementHeader, depth: number, encoding: Encoding = this.encoding): void {
    if (header.length !== UNDEFINED_LENGTH) {
      this.skip(header.length);
      return;
    }
    if (depth >= MAX_NESTING) throw new Part10ReadError(`sequences nested deeper than ${MAX_NESTING} levels`);
    // An undefined-length UN holds a sequence encoded in implicit VR little endian (PS3.5 §6.2.2).
    const inner: Encoding = header.vr === 'UN' ? { explicitVr: false, littleEndian: true } : encoding;
    for (;;) {
      const item = this.readHeader(inner);
      if (item.tag === SEQUENCE_DELIMITER) return;
      if (item.tag !== ITEM) throw new Part10ReadError(`expected an item in the sequence of ${tagText(header.tag)}, found ${tagText(item.tag)}`);
      if (item.length !== UNDEFINED_LENGTH) {
        this.skip(item.length);
        continue;
      }
      for (;;) {
        const element = this.readHeader(inner);
        if (element.tag === ITEM_DELIMITER) break;
        this.skipValue(element, depth + 1, inner);
      }
    }
  }

  private need(length: number): void {
    if (this.position + length > this.bytes.length) {
      throw new Part10ReadError(`the file ends at byte ${this.bytes.length}, inside an element that needs ${length} bytes from byte ${this.position}`);
    }
  }
}

function tagText(tag: number): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
