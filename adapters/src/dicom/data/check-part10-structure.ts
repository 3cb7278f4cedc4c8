import { inflateRawSync } from 'node:zlib';
import { DicomParseError, formatTag } from './dicom-parse-error.ts';
import { datasetEncodingOf } from './transfer-syntaxes.ts';

/**
 * Walks the element headers of a DICOM Part 10 file without decoding values, to reject what dcmjs would
 * quietly accept: dcmjs reads a file cut inside the pixel data (or anywhere in the last element) as if it
 * were whole, with the missing bytes simply absent. Walking headers is cheap (values are skipped) and
 * tells exactly which element is cut short.
 */

const PREAMBLE_LENGTH = 128;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;
/** Nesting deeper than this is hostile input, not a real data set. */
const MAX_SEQUENCE_DEPTH = 64;

const VRS_WITH_4_BYTE_LENGTH = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const VRS_WITH_2_BYTE_LENGTH = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US',
]);

export interface Part10Layout {
  readonly transferSyntaxUid: string;
  /** Offset of the first element after the file meta group. */
  readonly datasetOffset: number;
}

/** Checks the preamble, the file meta group and every element header; throws DicomParseError naming what failed. */
export function checkPart10Structure(bytes: Uint8Array): Part10Layout {
  if (bytes.length < PREAMBLE_LENGTH + 4 || !hasDicmPrefix(bytes)) {
    throw new DicomParseError('not-part10', `not a DICOM Part 10 file: no "DICM" prefix at byte 128 (${bytes.length} bytes in total)`, {
      offset: PREAMBLE_LENGTH,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { transferSyntaxUid, datasetOffset } = readFileMeta(view);
  const encoding = datasetEncodingOf(transferSyntaxUid);
  if (encoding === 'deflated-explicit-little') {
    const inflated = inflateDataset(bytes.subarray(datasetOffset));
    new HeaderWalker(new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength), true).walkDataset(0, inflated.length, true);
  } else {
    new HeaderWalker(view, encoding !== 'explicit-big').walkDataset(datasetOffset, bytes.length, encoding !== 'implicit-little');
  }
  return { transferSyntaxUid, datasetOffset };
}

function hasDicmPrefix(bytes: Uint8Array): boolean {
  return bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** The file meta group is always explicit VR little endian (PS3.10 7.1). */
function readFileMeta(view: DataView): { transferSyntaxUid: string; datasetOffset: number } {
  let position = PREAMBLE_LENGTH + 4;
  let transferSyntaxUid: string | undefined;
  while (position + 4 <= view.byteLength && view.getUint16(position, true) === 0x0002) {
    const element = view.getUint16(position + 2, true);
    const tag = formatTag(0x0002, element);
    if (position + 8 > view.byteLength) {
      throw truncatedHeader(position, tag);
    }
    const vr = readVr(view, position + 4);
    let length: number;
    let headerLength: number;
    if (VRS_WITH_4_BYTE_LENGTH.has(vr)) {
      if (position + 12 > view.byteLength) {
        throw truncatedHeader(position, tag);
      }
      length = view.getUint32(position + 8, true);
      headerLength = 12;
    } else if (VRS_WITH_2_BYTE_LENGTH.has(vr)) {
      length = view.getUint16(position + 6, true);
      headerLength = 8;
    } else {
      throw new DicomParseError('malformed', `file meta element ${tag} at offset ${position} has no valid VR (found ${JSON.stringify(vr)})`, {
        offset: position,
        tag,
      });
    }
    const valueOffset = position + headerLength;
    if (length === UNDEFINED_LENGTH || valueOffset + length > view.byteLength) {
      throw truncatedValue(tag, length, valueOffset, view.byteLength);
    }
    if (element === 0x0010) {
      transferSyntaxUid = decodeAscii(view, valueOffset, length).replace(/[\0 ]+$/, '');
    }
    position = valueOffset + length;
  }
  if (!transferSyntaxUid) {
    throw new DicomParseError('missing-attribute', 'the file meta information has no Transfer Syntax UID (0002,0010)', { tag: '(0002,0010)' });
  }
  return { transferSyntaxUid, datasetOffset: position };
}

function inflateDataset(deflated: Uint8Array): Uint8Array {
  try {
    return inflateRawSync(deflated);
  } catch (error) {
    const truncated = (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR';
    throw new DicomParseError(
      truncated ? 'truncated' : 'malformed',
      `the deflated data set cannot be inflated: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

class HeaderWalker {
  private readonly view: DataView;
  private readonly littleEndian: boolean;

  constructor(view: DataView, littleEndian: boolean) {
    this.view = view;
    this.littleEndian = littleEndian;
  }

  /**
   * Walks elements from `start` until `end`, or until an item delimitation when `insideItem`.
   * Returns the offset after the last element (after the item delimitation when inside an item).
   */
  walkDataset(start: number, end: number, explicitVr: boolean, insideItem = false, depth = 0): number {
    let position = start;
    while (position < end) {
      if (position + 8 > end) {
        throw truncatedHeader(position, position + 4 <= end ? this.tagAt(position) : undefined);
      }
      const group = this.view.getUint16(position, this.littleEndian);
      const element = this.view.getUint16(position + 2, this.littleEndian);
      const tagValue = ((group << 16) | element) >>> 0;
      const tag = this.tagAt(position);
      if (tagValue === ITEM_DELIMITATION) {
        if (!insideItem) {
          throw malformed(`an item delimitation at offset ${position} is outside any item`, position, tag);
        }
        return position + 8;
      }
      if (group === 0xfffe) {
        throw malformed(`unexpected ${tag} item tag at offset ${position} where a data element should be`, position, tag);
      }
      let length: number;
      let headerLength: number;
      let nestedExplicitVr = explicitVr;
      if (explicitVr) {
        const vr = readVr(this.view, position + 4);
        if (VRS_WITH_4_BYTE_LENGTH.has(vr)) {
          if (position + 12 > end) {
            throw truncatedHeader(position, tag);
          }
          length = this.view.getUint32(position + 8, this.littleEndian);
          headerLength = 12;
          // An undefined-length UN holds implicit VR little endian content (PS3.5 6.2.2).
          nestedExplicitVr = vr !== 'UN';
        } else if (VRS_WITH_2_BYTE_LENGTH.has(vr)) {
          length = this.view.getUint16(position + 6, this.littleEndian);
          headerLength = 8;
        } else {
          throw malformed(`element ${tag} at offset ${position} has no valid VR (found ${JSON.stringify(vr)})`, position, tag);
        }
      } else {
        length = this.view.getUint32(position + 4, this.littleEndian);
        headerLength = 8;
      }
      const valueOffset = position + headerLength;
      if (length === UNDEFINED_LENGTH) {
        position = this.walkItems(valueOffset, end, nestedExplicitVr, tag, depth + 1);
      } else {
        if (valueOffset + length > end) {
          throw truncatedValue(tag, length, valueOffset, end);
        }
        position = valueOffset + length;
      }
    }
    if (insideItem) {
      throw new DicomParseError('truncated', `truncated: an item that began before offset ${start} has no item delimitation`, { offset: end });
    }
    return position;
  }

  private tagAt(position: number): string {
    return formatTag(this.view.getUint16(position, this.littleEndian), this.view.getUint16(position + 2, this.littleEndian));
  }

  /** Walks the items of an undefined-length sequence or encapsulated pixel data up to its delimitation. */
  private walkItems(start: number, end: number, explicitVr: boolean, ownerTag: string, depth: number): number {
    if (depth > MAX_SEQUENCE_DEPTH) {
      throw malformed(`sequences nested more than ${MAX_SEQUENCE_DEPTH} deep at ${ownerTag}`, start, ownerTag);
    }
    let position = start;
    for (;;) {
      if (position + 8 > end) {
        throw new DicomParseError(
          'truncated',
          `truncated: ${describeTag(ownerTag)} (undefined length) ends at offset ${end} without a sequence delimitation item`,
          { offset: end, tag: ownerTag },
        );
      }
      const tagValue = ((this.view.getUint16(position, this.littleEndian) << 16) | this.view.getUint16(position + 2, this.littleEndian)) >>> 0;
      const length = this.view.getUint32(position + 4, this.littleEndian);
      const valueOffset = position + 8;
      if (tagValue === SEQUENCE_DELIMITATION) {
        return valueOffset;
      }
      if (tagValue !== ITEM) {
        throw malformed(`expected an item tag inside ${describeTag(ownerTag)} at offset ${position}`, position, ownerTag);
      }
      if (length === UNDEFINED_LENGTH) {
        position = this.walkDataset(valueOffset, end, explicitVr, true, depth);
      } else {
        if (valueOffset + length > end) {
          throw new DicomParseError(
            'truncated',
            `truncated: an item of ${describeTag(ownerTag)} declares ${length} bytes at offset ${valueOffset} but only ${end - valueOffset} remain`,
            { offset: valueOffset, tag: ownerTag },
          );
        }
        position = valueOffset + length;
      }
    }
  }
}

function readVr(view: DataView, offset: number): string {
  return String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1));
}

function decodeAscii(view: DataView, offset: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    text += String.fromCharCode(view.getUint8(offset + i));
  }
  return text;
}

function describeTag(tag: string): string {
  return tag === '(7FE0,0010)' ? `${tag} Pixel Data` : `element ${tag}`;
}

function truncatedHeader(offset: number, tag?: string): DicomParseError {
  const what = tag ? `the header of element ${tag}` : 'an element header';
  return new DicomParseError('truncated', `truncated: the file ends inside ${what} at offset ${offset}`, { offset, tag });
}

function truncatedValue(tag: string, declared: number, valueOffset: number, end: number): DicomParseError {
  return new DicomParseError(
    'truncated',
    `truncated: ${describeTag(tag)} declares ${declared} bytes at offset ${valueOffset} but only ${Math.max(0, end - valueOffset)} remain`,
    { offset: valueOffset, tag },
  );
}

function malformed(message: string, offset: number, tag: string): DicomParseError {
  return new DicomParseError('malformed', `malformed data set: ${message}`, { offset, tag });
}
