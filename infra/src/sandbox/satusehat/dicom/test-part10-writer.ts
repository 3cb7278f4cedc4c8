import { deflateRawSync } from 'node:zlib';

/**
 * Small but well-formed DICOM Part 10 files for tests that upload to the sandbox: a preamble,
 * "DICM", a file meta group, and a data set with the identifying UIDs, an undefined-length
 * sequence before them (as real files have) and a few bytes of pixel data. Not an image anyone
 * can view; a file any DICOM reader accepts.
 */
export interface TestPart10Options {
  sopInstanceUid: string;
  studyInstanceUid: string;
  /** Default: `{studyInstanceUid}.1`. */
  seriesInstanceUid?: string;
  /** Default: Digital X-Ray Image Storage - For Presentation. */
  sopClassUid?: string;
  /** How the data set is encoded. Default: explicit VR little endian. */
  transferSyntax?: 'explicit-little' | 'implicit-little' | 'explicit-big' | 'deflated';
  accessionNumber?: string;
  patientId?: string;
  modality?: string;
}

const TRANSFER_SYNTAX_UIDS = {
  'explicit-little': '1.2.840.10008.1.2.1',
  'implicit-little': '1.2.840.10008.1.2',
  'explicit-big': '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99',
} as const;

const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1475.1';
const LONG_VRS = new Set(['OB', 'OW', 'SQ', 'UN', 'UT']);

interface Encoding {
  explicitVr: boolean;
  littleEndian: boolean;
}

export function writeTestPart10(options: TestPart10Options): Buffer {
  const syntax = options.transferSyntax ?? 'explicit-little';
  const seriesUid = options.seriesInstanceUid ?? `${options.studyInstanceUid}.1`;
  const sopClassUid = options.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.1.1';
  const metaEncoding: Encoding = { explicitVr: true, littleEndian: true };
  const encoding: Encoding = { explicitVr: syntax !== 'implicit-little', littleEndian: syntax !== 'explicit-big' };

  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1]), metaEncoding),
    element(0x0002, 0x0002, 'UI', uid(sopClassUid), metaEncoding),
    element(0x0002, 0x0003, 'UI', uid(options.sopInstanceUid), metaEncoding),
    element(0x0002, 0x0010, 'UI', uid(TRANSFER_SYNTAX_UIDS[syntax]), metaEncoding),
    element(0x0002, 0x0012, 'UI', uid(IMPLEMENTATION_CLASS_UID), metaEncoding),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length);
  const meta = Buffer.concat([element(0x0002, 0x0000, 'UL', groupLength, metaEncoding), metaBody]);

  const referencedImage = Buffer.concat([
    element(0x0008, 0x1150, 'UI', uid(sopClassUid), encoding),
    element(0x0008, 0x1155, 'UI', uid(`${options.sopInstanceUid}.9`), encoding),
  ]);
  let dataset = Buffer.concat([
    element(0x0008, 0x0005, 'CS', text('ISO_IR 100'), encoding),
    element(0x0008, 0x0016, 'UI', uid(sopClassUid), encoding),
    element(0x0008, 0x0018, 'UI', uid(options.sopInstanceUid), encoding),
    element(0x0008, 0x0050, 'SH', text(options.accessionNumber ?? ''), encoding),
    element(0x0008, 0x0060, 'CS', text(options.modality ?? 'DX'), encoding),
    undefinedLengthSequence(0x0008, 0x1140, referencedImage, encoding),
    element(0x0010, 0x0010, 'PN', text('SANDBOX^TEST'), encoding),
    element(0x0010, 0x0020, 'LO', text(options.patientId ?? 'SANDBOX-1'), encoding),
    element(0x0020, 0x000d, 'UI', uid(options.studyInstanceUid), encoding),
    element(0x0020, 0x000e, 'UI', uid(seriesUid), encoding),
    element(0x0020, 0x0013, 'IS', text('1'), encoding),
    element(0x7fe0, 0x0010, 'OW', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), encoding),
  ]);
  if (syntax === 'deflated') dataset = deflateRawSync(dataset);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), meta, dataset]);
}

function element(group: number, elementNumber: number, vr: string, value: Buffer, encoding: Encoding): Buffer {
  const tag = tagBytes(group, elementNumber, encoding);
  if (!encoding.explicitVr) return Buffer.concat([tag, uint32(value.length, encoding), value]);
  if (LONG_VRS.has(vr)) return Buffer.concat([tag, Buffer.from(vr, 'latin1'), Buffer.alloc(2), uint32(value.length, encoding), value]);
  const length = Buffer.alloc(2);
  if (encoding.littleEndian) length.writeUInt16LE(value.length);
  else length.writeUInt16BE(value.length);
  return Buffer.concat([tag, Buffer.from(vr, 'latin1'), length, value]);
}

/** A sequence of undefined length holding one item of undefined length. */
function undefinedLengthSequence(group: number, elementNumber: number, itemContent: Buffer, encoding: Encoding): Buffer {
  const undefinedLength = uint32(0xffffffff, encoding);
  const header = encoding.explicitVr
    ? Buffer.concat([tagBytes(group, elementNumber, encoding), Buffer.from('SQ', 'latin1'), Buffer.alloc(2), undefinedLength])
    : Buffer.concat([tagBytes(group, elementNumber, encoding), undefinedLength]);
  return Buffer.concat([
    header,
    tagBytes(0xfffe, 0xe000, encoding),
    undefinedLength,
    itemContent,
    tagBytes(0xfffe, 0xe00d, encoding),
    uint32(0, encoding),
    tagBytes(0xfffe, 0xe0dd, encoding),
    uint32(0, encoding),
  ]);
}

function tagBytes(group: number, elementNumber: number, encoding: Encoding): Buffer {
  const bytes = Buffer.alloc(4);
  if (encoding.littleEndian) {
    bytes.writeUInt16LE(group, 0);
    bytes.writeUInt16LE(elementNumber, 2);
  } else {
    bytes.writeUInt16BE(group, 0);
    bytes.writeUInt16BE(elementNumber, 2);
  }
  return bytes;
}

function uint32(value: number, encoding: Encoding): Buffer {
  const bytes = Buffer.alloc(4);
  if (encoding.littleEndian) bytes.writeUInt32LE(value);
  else bytes.writeUInt32BE(value);
  return bytes;
}

/** UI values are padded to even length with a NUL. */
function uid(value: string): Buffer {
  return Buffer.from(value.length % 2 === 0 ? value : `${value}\0`, 'latin1');
}

/** Other text values are padded to even length with a space. */
function text(value: string): Buffer {
  return Buffer.from(value.length % 2 === 0 ? value : `${value} `, 'latin1');
}
