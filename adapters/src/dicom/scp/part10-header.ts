import { SIMPUL_IMPLEMENTATION_CLASS_UID } from '../data/write-dicom-file.ts';

/**
 * The preamble, "DICM" prefix and file meta group (PS3.10 7.1) that turn a data set received over the
 * network into a DICOM Part 10 file. The data set bytes follow unchanged, in the transfer syntax they
 * arrived in (a deflated data set stays deflated), so the file is exactly what the modality sent.
 */
export interface Part10HeaderFields {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** The calling AE title: Source Application Entity Title (0002,0016). */
  readonly sourceAeTitle: string;
}

const PREAMBLE_LENGTH = 128;

export function part10Header(fields: Part10HeaderFields): Buffer {
  const elements = [
    element(0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 'UI', uid(fields.sopClassUid)),
    element(0x0003, 'UI', uid(fields.sopInstanceUid)),
    element(0x0010, 'UI', uid(fields.transferSyntaxUid)),
    element(0x0012, 'UI', uid(SIMPUL_IMPLEMENTATION_CLASS_UID)),
    element(0x0013, 'SH', text('SIMPUL')),
    element(0x0016, 'AE', text(fields.sourceAeTitle)),
  ];
  const groupLength = elements.reduce((sum, bytes) => sum + bytes.length, 0);
  const lengthValue = Buffer.alloc(4);
  lengthValue.writeUInt32LE(groupLength);
  const prefix = Buffer.alloc(PREAMBLE_LENGTH + 4);
  prefix.write('DICM', PREAMBLE_LENGTH, 'latin1');
  return Buffer.concat([prefix, element(0x0000, 'UL', lengthValue), ...elements]);
}

function element(elementNumber: number, vr: string, value: Buffer): Buffer {
  const longLength = vr === 'OB';
  const header = Buffer.alloc(longLength ? 12 : 8);
  header.writeUInt16LE(0x0002, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.write(vr, 4, 'latin1');
  if (longLength) {
    header.writeUInt32LE(value.length, 8);
  } else {
    header.writeUInt16LE(value.length, 6);
  }
  return Buffer.concat([header, value]);
}

/** UIDs are padded to even length with a NUL byte. */
function uid(value: string): Buffer {
  return Buffer.from(value.length % 2 === 0 ? value : `${value}\0`, 'latin1');
}

/** Text values are padded to even length with a space. */
function text(value: string): Buffer {
  return Buffer.from(value.length % 2 === 0 ? value : `${value} `, 'latin1');
}
