import { describe, expect, it } from 'vitest';
import { encodeStoreResponse, parseCommand, type DimseCommand } from './dimse-command.ts';
import { PduRouter, pdataPdu, type PduViolation } from './pdu-router.ts';

/** A C-STORE-RQ command set (implicit VR little endian, group 0000). */
function storeCommand(sop: string, messageId: number): Buffer {
  const response = encodeStoreResponse({ commandField: 1, messageId, affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2', affectedSopInstanceUid: sop, hasDataSet: true }, 0);
  // Turn the response into a request: command field 0x0001, message id (0000,0110), data set present (0000,0800 = 0).
  const request = Buffer.from(response);
  for (let offset = 12; offset + 8 <= request.length; ) {
    const element = request.readUInt16LE(offset + 2);
    const length = request.readUInt32LE(offset + 4);
    if (element === 0x0100) request.writeUInt16LE(0x0001, offset + 8);
    if (element === 0x0120) request.writeUInt16LE(0x0110, offset + 2);
    if (element === 0x0800) request.writeUInt16LE(0x0000, offset + 8);
    offset += 8 + length;
  }
  return request;
}

function dataPdu(contextId: number, value: Buffer, last: boolean): Buffer {
  const pdu = pdataPdu(contextId, value, false);
  if (!last) pdu[11] = 0x00;
  return pdu;
}

function route(stream: Buffer, chunk: number, maxPduLength = 65536) {
  const library: Buffer[] = [];
  const stores: { command: DimseCommand; context: number; bytes: Buffer[]; ended: boolean }[] = [];
  const violations: PduViolation[] = [];
  const router = new PduRouter(maxPduLength, {
    toLibrary: (pdu) => library.push(Buffer.from(pdu)),
    associationEstablished: () => true,
    storeCommand: (command, context) => {
      const store = { command, context, bytes: [] as Buffer[], ended: false };
      stores.push(store);
      return { write: (b) => store.bytes.push(Buffer.from(b)), end: () => (store.ended = true) };
    },
    violation: (v) => violations.push(v),
  });
  for (let offset = 0; offset < stream.length; offset += chunk) router.push(stream.subarray(offset, offset + chunk));
  return { library, stores: stores.map((s) => ({ ...s, data: Buffer.concat(s.bytes) })), violations };
}

describe('PduRouter', () => {
  const release = Buffer.from([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
  const dataset = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  const stream = Buffer.concat([
    pdataPdu(1, storeCommand('1.2.3.1', 7), true),
    dataPdu(1, dataset.subarray(0, 3000), false),
    dataPdu(1, dataset.subarray(3000), true),
    pdataPdu(3, storeCommand('1.2.3.2', 8), true),
    dataPdu(3, Buffer.alloc(0), true),
    release,
  ]);

  it('streams C-STORE data sets to their sinks and passes everything else to the library, however the bytes are split', () => {
    const whole = route(stream, stream.length);
    expect(whole.violations).toEqual([]);
    expect(whole.stores.map((s) => [s.command.affectedSopInstanceUid, s.command.messageId, s.context, s.data.length, s.ended])).toEqual([
      ['1.2.3.1', 7, 1, 5000, true],
      ['1.2.3.2', 8, 3, 0, true],
    ]);
    expect(Buffer.compare(whole.stores[0].data, dataset)).toBe(0);
    expect(whole.library).toEqual([release]);
    for (const chunk of [1, 5, 6, 7, 4099]) {
      const split = route(stream, chunk);
      expect(split.stores.map((s) => s.data), `chunks of ${chunk}`).toEqual(whole.stores.map((s) => s.data));
      expect(split.library, `chunks of ${chunk}`).toEqual(whole.library);
    }
  });

  it('reads the command set it routes on', () => {
    expect(parseCommand(storeCommand('1.2.3.9', 42))).toEqual({
      commandField: 1,
      messageId: 42,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      affectedSopInstanceUid: '1.2.3.9',
      hasDataSet: true,
    });
  });

  it('flags a PDU over the negotiated size, an unknown PDU type, a PDV longer than its PDU and data without a command', () => {
    const big = Buffer.alloc(6);
    big[0] = 0x04;
    big.writeUInt32BE(0x80000000, 2);
    expect(route(big, 3).violations).toEqual([{ reason: 6, message: expect.stringMatching(/declares 2147483648 bytes, more than the 65536 allowed/) }]);
    expect(route(Buffer.from('GET / HTTP/1.1'), 1).violations[0].message).toMatch(/unknown PDU type 0x47/);
    const overlong = pdataPdu(1, Buffer.alloc(10), true);
    overlong.writeUInt32BE(100, 6);
    expect(route(overlong, 4).violations[0].message).toMatch(/a PDV declares 100 bytes/);
    expect(route(dataPdu(1, Buffer.alloc(10), true), 4).violations[0].message).toMatch(/without a command/);
  });
});
