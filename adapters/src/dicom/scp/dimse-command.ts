/**
 * DIMSE command sets (PS3.7 9.3, E.1): group 0000, always implicit VR little endian. Only what the
 * C-STORE path needs is read (command field, message id, affected SOP class and instance, data set
 * type) and only the C-STORE response is written, without dcmjs: encoding a response through dcmjs
 * allocates several 256 KB buffers, which at hundreds of instances a second is most of the receiver's
 * garbage collection.
 */

export const COMMAND_FIELD = { cStoreRequest: 0x0001, cStoreResponse: 0x8001 } as const;
/** Command Data Set Type (0000,0800) value meaning "no data set follows". */
const NO_DATA_SET = 0x0101;
const MAX_UID_LENGTH = 64;

export interface DimseCommand {
  readonly commandField: number;
  readonly messageId: number;
  readonly affectedSopClassUid: string;
  readonly affectedSopInstanceUid: string;
  readonly hasDataSet: boolean;
}

export class DimseCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DimseCommandError';
  }
}

/** Reads a command set. Throws DimseCommandError for a command that cannot be read. */
export function parseCommand(bytes: Buffer): DimseCommand {
  let commandField: number | undefined;
  let messageId: number | undefined;
  let affectedSopClassUid = '';
  let affectedSopInstanceUid = '';
  let dataSetType = NO_DATA_SET;
  let position = 0;
  while (position < bytes.length) {
    if (position + 8 > bytes.length) throw new DimseCommandError(`the command set ends inside an element header at offset ${position}`);
    const group = bytes.readUInt16LE(position);
    const element = bytes.readUInt16LE(position + 2);
    const length = bytes.readUInt32LE(position + 4);
    const valueOffset = position + 8;
    if (group !== 0x0000) throw new DimseCommandError(`element (${hex(group)},${hex(element)}) is not a command element`);
    if (valueOffset + length > bytes.length) throw new DimseCommandError(`command element (0000,${hex(element)}) is cut short`);
    const value = bytes.subarray(valueOffset, valueOffset + length);
    switch (element) {
      case 0x0002:
        affectedSopClassUid = uid(value);
        break;
      case 0x0100:
        commandField = ushort(value, element);
        break;
      case 0x0110:
        messageId = ushort(value, element);
        break;
      case 0x0800:
        dataSetType = ushort(value, element);
        break;
      case 0x1000:
        affectedSopInstanceUid = uid(value);
        break;
      default:
        break;
    }
    position = valueOffset + length;
  }
  if (commandField === undefined) throw new DimseCommandError('the command set has no Command Field (0000,0100)');
  if (messageId === undefined) throw new DimseCommandError('the command set has no Message ID (0000,0110)');
  return { commandField, messageId, affectedSopClassUid, affectedSopInstanceUid, hasDataSet: dataSetType !== NO_DATA_SET };
}

/** The C-STORE-RSP command set for a request, with an Error Comment (0000,0902) when given. */
export function encodeStoreResponse(request: DimseCommand, status: number, errorComment?: string): Buffer {
  const elements = [
    element(0x0002, uidValue(request.affectedSopClassUid)),
    element(0x0100, ushortValue(COMMAND_FIELD.cStoreResponse)),
    element(0x0120, ushortValue(request.messageId)),
    element(0x0800, ushortValue(NO_DATA_SET)),
    element(0x0900, ushortValue(status)),
    ...(errorComment ? [element(0x0902, textValue(errorComment.slice(0, 64)))] : []),
    element(0x1000, uidValue(request.affectedSopInstanceUid)),
  ];
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(elements.reduce((sum, bytes) => sum + bytes.length, 0));
  return Buffer.concat([element(0x0000, groupLength), ...elements]);
}

function element(elementNumber: number, value: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0x0000, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.writeUInt32LE(value.length, 4);
  return Buffer.concat([header, value]);
}

function uidValue(value: string): Buffer {
  return Buffer.from(value.length % 2 === 0 ? value : `${value}\0`, 'latin1');
}

function textValue(value: string): Buffer {
  const ascii = value.replace(/[^\x20-\x7e]/g, '?').replace(/\\/g, '/');
  return Buffer.from(ascii.length % 2 === 0 ? ascii : `${ascii} `, 'latin1');
}

function ushortValue(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

function uid(value: Buffer): string {
  const text = value.toString('latin1').replace(/[\0 ]+$/, '');
  if (text.length > MAX_UID_LENGTH) throw new DimseCommandError(`a UID in the command set is longer than ${MAX_UID_LENGTH} characters`);
  return text;
}

function ushort(value: Buffer, element: number): number {
  if (value.length !== 2) throw new DimseCommandError(`command element (0000,${hex(element)}) is not a US value`);
  return value.readUInt16LE(0);
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, '0');
}
