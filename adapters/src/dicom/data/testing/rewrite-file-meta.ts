import { checkPart10Structure } from '../check-part10-structure.ts';

/**
 * Returns a copy of a Part 10 file whose file meta group says `transferSyntaxUid`, the data set bytes
 * untouched: how tests make files with syntaxes nothing here can write (MPEG, private UIDs).
 */
export function withTransferSyntax(file: Uint8Array, transferSyntaxUid: string): Uint8Array {
  const { datasetOffset } = checkPart10Structure(file);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const elements: Uint8Array[] = [];
  for (let position = 132; position < datasetOffset; ) {
    const element = view.getUint16(position + 2, true);
    const vr = String.fromCharCode(file[position + 4], file[position + 5]);
    const longLength = ['OB', 'OW', 'UN', 'SQ', 'UT', 'UC', 'UR'].includes(vr);
    const length = longLength ? view.getUint32(position + 8, true) : view.getUint16(position + 6, true);
    const end = position + (longLength ? 12 : 8) + length;
    if (element === 0x0010) {
      elements.push(uidElement(0x0010, transferSyntaxUid));
    } else if (element !== 0x0000) {
      elements.push(file.subarray(position, end));
    }
    position = end;
  }
  const groupLength = elements.reduce((sum, element) => sum + element.length, 0);
  const lengthElement = new Uint8Array(12);
  const lengthView = new DataView(lengthElement.buffer);
  lengthView.setUint16(0, 0x0002, true);
  lengthView.setUint16(2, 0x0000, true);
  lengthElement.set([0x55, 0x4c], 4); // UL
  lengthView.setUint16(6, 4, true);
  lengthView.setUint32(8, groupLength, true);
  const parts = [file.subarray(0, 132), lengthElement, ...elements, file.subarray(datasetOffset)];
  const output = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    output.set(part, offset);
    offset += part.length;
  }
  return output;
}

function uidElement(element: number, uid: string): Uint8Array {
  const padded = uid.length % 2 === 0 ? uid : `${uid}\0`;
  const bytes = new Uint8Array(8 + padded.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0x0002, true);
  view.setUint16(2, element, true);
  bytes.set([0x55, 0x49], 4); // UI
  view.setUint16(6, padded.length, true);
  for (let i = 0; i < padded.length; i++) {
    bytes[8 + i] = padded.charCodeAt(i);
  }
  return bytes;
}
