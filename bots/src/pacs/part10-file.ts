/**
 * Splits a stored DICOM Part 10 file into its file meta information (PS3.10 7.1) and the data set bytes,
 * which are sent exactly as the modality sent them when the destination accepts their transfer syntax.
 * Only the meta group is parsed here; it is always Explicit VR Little Endian.
 */

export interface Part10Meta {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Where the data set (in `transferSyntaxUid`) starts. */
  readonly datasetOffset: number;
}

export class Part10FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Part10FormatError';
  }
}

const PREAMBLE_LENGTH = 128;
const META_START = PREAMBLE_LENGTH + 4;
/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR encoding (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

/** The meta group is read from the file's first bytes, so the header fits in this much. */
export const PART10_HEADER_WINDOW = 64 * 1024;

/** `bytes` is the file or its first `PART10_HEADER_WINDOW` bytes; `fileSize` the whole file's. */
export function parsePart10Meta(bytes: Buffer, fileSize = bytes.length): Part10Meta {
  if (bytes.length < META_START || bytes.toString('latin1', PREAMBLE_LENGTH, META_START) !== 'DICM') {
    throw new Part10FormatError('not a DICOM Part 10 file: no "DICM" prefix after the 128-byte preamble');
  }
  const meta = new Map<number, string>();
  let offset = META_START;
  while (offset + 8 <= bytes.length && bytes.readUInt16LE(offset) === 0x0002) {
    const element = bytes.readUInt16LE(offset + 2);
    const vr = bytes.toString('latin1', offset + 4, offset + 6);
    let length: number;
    let valueStart: number;
    if (LONG_VRS.has(vr)) {
      if (offset + 12 > bytes.length) break;
      length = bytes.readUInt32LE(offset + 8);
      valueStart = offset + 12;
    } else {
      length = bytes.readUInt16LE(offset + 6);
      valueStart = offset + 8;
    }
    if (length === 0xffffffff || valueStart + length > bytes.length) {
      throw new Part10FormatError(`file meta element (0002,${element.toString(16).padStart(4, '0').toUpperCase()}) runs past the end of the file`);
    }
    if (vr === 'UI') meta.set(element, bytes.toString('latin1', valueStart, valueStart + length).replace(/[\0 ]+$/, ''));
    offset = valueStart + length;
  }
  const sopClassUid = requireUid(meta, 0x0002, 'Media Storage SOP Class UID');
  const sopInstanceUid = requireUid(meta, 0x0003, 'Media Storage SOP Instance UID');
  const transferSyntaxUid = requireUid(meta, 0x0010, 'Transfer Syntax UID');
  if (offset >= fileSize) throw new Part10FormatError('the file holds a meta group but no data set');
  return { sopClassUid, sopInstanceUid, transferSyntaxUid, datasetOffset: offset };
}

function requireUid(meta: Map<number, string>, element: number, name: string): string {
  const value = meta.get(element);
  const tag = `(0002,${element.toString(16).padStart(4, '0').toUpperCase()})`;
  if (value === undefined) throw new Part10FormatError(`the file meta group has no ${name} ${tag}`);
  if (!UID_PATTERN.test(value) || value.length > 64) throw new Part10FormatError(`${name} ${tag} is not a UID: "${value.slice(0, 80)}"`);
  return value;
}
