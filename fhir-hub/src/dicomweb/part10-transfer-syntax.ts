import { open } from 'node:fs/promises';

/**
 * The Transfer Syntax UID (0002,0010) of a DICOM Part 10 file, read from its file meta group (always
 * explicit VR little endian, PS3.10 7.1) without reading the rest of the file. Undefined when the file
 * is not Part 10 or the element is absent.
 */
export async function readTransferSyntax(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(16 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    if (bytes.length < 140 || bytes.toString('latin1', 128, 132) !== 'DICM') return undefined;
    let position = 132;
    while (position + 8 <= bytes.length && bytes.readUInt16LE(position) === 0x0002) {
      const element = bytes.readUInt16LE(position + 2);
      const vr = bytes.toString('latin1', position + 4, position + 6);
      const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
      if (long && position + 12 > bytes.length) return undefined;
      const length = long ? bytes.readUInt32LE(position + 8) : bytes.readUInt16LE(position + 6);
      const valueOffset = position + (long ? 12 : 8);
      if (valueOffset + length > bytes.length) return undefined;
      if (element === 0x0010) return bytes.toString('latin1', valueOffset, valueOffset + length).replace(/[\0 ]+$/, '');
      position = valueOffset + length;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}
