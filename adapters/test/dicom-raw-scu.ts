import { connect, type Socket } from 'node:net';

/**
 * A deliberately minimal DICOM Upper Layer client for tests that must send what a well-behaved SCU
 * (dcmtk's storescu) never would: a truncated data set, a PDU declaring 2 GB, a data set on a rejected
 * presentation context. It writes PDUs byte by byte as PS3.8 lays them out and reads the answers back.
 */

export interface ProposedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

export type AssociateAnswer =
  | { readonly kind: 'accepted'; readonly contexts: Map<number, { result: number; transferSyntax: string }>; readonly maxPduLength: number }
  | { readonly kind: 'rejected'; readonly result: number; readonly source: number; readonly reason: number }
  | { readonly kind: 'aborted'; readonly source: number; readonly reason: number }
  | { readonly kind: 'closed' };

export interface StoreAnswer {
  readonly status: number;
  readonly errorComment?: string;
}

export class RawScu {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #waiting: (() => void) | undefined;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#waiting?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawScu> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawScu(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async associate(calledAe: string, callingAe: string, contexts: readonly ProposedContext[]): Promise<AssociateAnswer> {
    const items = [
      item(0x10, Buffer.from('1.2.840.10008.3.1.1.1', 'latin1')),
      ...contexts.map((context) =>
        item(
          0x20,
          Buffer.concat([
            Buffer.from([context.id, 0, 0, 0]),
            item(0x30, Buffer.from(context.abstractSyntax, 'latin1')),
            ...context.transferSyntaxes.map((ts) => item(0x40, Buffer.from(ts, 'latin1'))),
          ]),
        ),
      ),
      item(0x50, Buffer.concat([item(0x51, uint32(65536)), item(0x52, Buffer.from('1.2.3.4.5.6.7', 'latin1'))])),
    ];
    const fixed = Buffer.alloc(68);
    fixed.writeUInt16BE(1, 0);
    fixed.write(calledAe.padEnd(16, ' '), 4, 'latin1');
    fixed.write(callingAe.padEnd(16, ' '), 20, 'latin1');
    this.write(pdu(0x01, Buffer.concat([fixed, ...items])));
    const answer = await this.readPdu();
    if (!answer) return { kind: 'closed' };
    if (answer.type === 0x03) return { kind: 'rejected', result: answer.body[1], source: answer.body[2], reason: answer.body[3] };
    if (answer.type === 0x07) return { kind: 'aborted', source: answer.body[2], reason: answer.body[3] };
    const accepted = new Map<number, { result: number; transferSyntax: string }>();
    let maxPduLength = 0;
    for (let offset = 68; offset + 4 <= answer.body.length; ) {
      const type = answer.body[offset];
      const length = answer.body.readUInt16BE(offset + 2);
      const value = answer.body.subarray(offset + 4, offset + 4 + length);
      if (type === 0x21) {
        const tsLength = value.readUInt16BE(6);
        accepted.set(value[0], { result: value[2], transferSyntax: value.toString('latin1', 8, 8 + tsLength).replace(/\0+$/, '') });
      } else if (type === 0x50 && value[0] === 0x51) {
        maxPduLength = value.readUInt32BE(4);
      }
      offset += 4 + length;
    }
    return { kind: 'accepted', contexts: accepted, maxPduLength };
  }

  /** Sends a C-STORE-RQ and its data set (raw bytes, in PDVs of at most `fragment` bytes) and reads the answer. */
  async store(contextId: number, sopClassUid: string, sopInstanceUid: string, dataset: Buffer, fragment = 16_000): Promise<StoreAnswer | AssociateAnswer> {
    this.sendStoreCommand(contextId, sopClassUid, sopInstanceUid);
    for (let offset = 0; offset < dataset.length || offset === 0; offset += fragment) {
      const last = offset + fragment >= dataset.length;
      this.write(pdu(0x04, pdv(contextId, dataset.subarray(offset, offset + fragment), false, last)));
      if (last) break;
    }
    return this.readStoreAnswer();
  }

  sendStoreCommand(contextId: number, sopClassUid: string, sopInstanceUid: string, messageId = 1): void {
    const command = commandSet([
      [0x0002, uidValue(sopClassUid)],
      [0x0100, uint16le(0x0001)],
      [0x0110, uint16le(messageId)],
      [0x0700, uint16le(0)],
      [0x0800, uint16le(0x0000)],
      [0x1000, uidValue(sopInstanceUid)],
    ]);
    this.write(pdu(0x04, pdv(contextId, command, true, true)));
  }

  async readStoreAnswer(): Promise<StoreAnswer | AssociateAnswer> {
    const answer = await this.readPdu();
    if (!answer) return { kind: 'closed' };
    if (answer.type === 0x07) return { kind: 'aborted', source: answer.body[2], reason: answer.body[3] };
    const value = answer.body.subarray(6);
    return readStatus(value);
  }

  /** Writes raw bytes (a hand-made PDU, or garbage). */
  write(bytes: Buffer): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  async release(): Promise<boolean> {
    this.write(pdu(0x05, Buffer.alloc(4)));
    const answer = await this.readPdu();
    this.#socket.end();
    return answer?.type === 0x06;
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** The next whole PDU, or undefined when the connection closes first (10 s at most). */
  async readPdu(timeoutMs = 10_000): Promise<{ type: number; body: Buffer } | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#buffer.length >= 6) {
        const length = this.#buffer.readUInt32BE(2);
        if (this.#buffer.length >= 6 + length) {
          const type = this.#buffer[0];
          const body = this.#buffer.subarray(6, 6 + length);
          this.#buffer = this.#buffer.subarray(6 + length);
          return { type, body };
        }
      }
      if (this.#closed || Date.now() > deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiting = undefined;
    }
  }
}

/** A PDU header: type, reserved byte, 4-byte big-endian length. */
export function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header[0] = type;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

export function pdv(contextId: number, value: Buffer, isCommand: boolean, isLast: boolean): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt32BE(value.length + 2, 0);
  header[4] = contextId;
  header[5] = (isCommand ? 1 : 0) | (isLast ? 2 : 0);
  return Buffer.concat([header, value]);
}

function item(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value]);
}

function commandSet(elements: [number, Buffer][]): Buffer {
  const encoded = elements.map(([element, value]) => {
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0, 0);
    header.writeUInt16LE(element, 2);
    header.writeUInt32LE(value.length, 4);
    return Buffer.concat([header, value]);
  });
  const total = encoded.reduce((sum, b) => sum + b.length, 0);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(total, 8);
  return Buffer.concat([groupLength, ...encoded]);
}

function readStatus(command: Buffer): StoreAnswer {
  let status = -1;
  let errorComment: string | undefined;
  for (let offset = 0; offset + 8 <= command.length; ) {
    const element = command.readUInt16LE(offset + 2);
    const length = command.readUInt32LE(offset + 4);
    const value = command.subarray(offset + 8, offset + 8 + length);
    if (element === 0x0900) status = value.readUInt16LE(0);
    if (element === 0x0902) errorComment = value.toString('latin1').trim();
    offset += 8 + length;
  }
  return { status, ...(errorComment ? { errorComment } : {}) };
}

function uidValue(uid: string): Buffer {
  return Buffer.from(uid.length % 2 ? `${uid}\0` : uid, 'latin1');
}

function uint16le(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}
