/**
 * MLLP framing (HL7 v2 MLLP release 2 transport): `<VT> message <FS><CR>`.
 *
 * Why not `@medplum/hl7`'s `Hl7Connection` on the receiving side: it has no frame size limit,
 * concatenates and rescans the whole buffer on every chunk (a 10 MiB frame costs about a second of
 * CPU, a larger one grows quadratically), decodes every frame with one fixed charset (MSH-18 is
 * per message), and one frame that does not start with `MSH` throws away the other frames that
 * arrived in the same chunk, with no ACK for any of them. This decoder is linear, bounded, and
 * hands back raw bytes so the charset is chosen per message. The sender side keeps `Hl7Client`.
 */

export const START_BLOCK = 0x0b;
export const END_BLOCK = 0x1c;
export const CARRIAGE_RETURN = 0x0d;
const LINE_FEED = 0x0a;

export type MllpFramingErrorCode =
  /** A frame grew past the limit before its end block. */
  | 'FRAME_TOO_LARGE'
  /** Bytes outside a frame: the peer does not speak MLLP (or lost the framing). */
  | 'NOT_MLLP';

export class MllpFramingError extends Error {
  readonly code: MllpFramingErrorCode;

  constructor(code: MllpFramingErrorCode, message: string) {
    super(message);
    this.name = 'MllpFramingError';
    this.code = code;
  }
}

/** Wraps message bytes in an MLLP frame. */
export function encodeMllpFrame(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(message.length + 3);
  frame[0] = START_BLOCK;
  message.copy(frame, 1);
  frame[message.length + 1] = END_BLOCK;
  frame[message.length + 2] = CARRIAGE_RETURN;
  return frame;
}

/**
 * Splits a byte stream into frame contents. Between frames only CR and LF are tolerated (some
 * senders end a frame with an extra newline); any other byte there throws `NOT_MLLP`, and a frame
 * whose content passes `maxFrameBytes` throws `FRAME_TOO_LARGE`. After a throw the decoder is
 * unusable: the caller closes the connection, since nothing after it can be trusted.
 */
export class MllpFrameDecoder {
  readonly #maxFrameBytes: number;
  #inFrame = false;
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** The previous chunk ended with FS: a CR at the start of the next one ends the frame. */
  #endBlockPending = false;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** True while a frame has started and its end has not arrived. */
  get inFrame(): boolean {
    return this.#inFrame;
  }

  /** Content bytes of the unfinished frame. */
  get pendingBytes(): number {
    return this.#partBytes;
  }

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.#inFrame) {
        offset = this.#skipToStartBlock(chunk, offset);
        continue;
      }
      if (this.#endBlockPending) {
        this.#endBlockPending = false;
        if (chunk[offset] === CARRIAGE_RETURN) {
          // The FS kept at the end of the parts is the end block, not content.
          frames.push(this.#finishFrame(undefined, 1));
          offset += 1;
          continue;
        }
      }
      offset = this.#readContent(chunk, offset, frames);
    }
    return frames;
  }

  #skipToStartBlock(chunk: Buffer, offset: number): number {
    const byte = chunk[offset];
    if (byte === START_BLOCK) {
      this.#inFrame = true;
      return offset + 1;
    }
    if (byte === CARRIAGE_RETURN || byte === LINE_FEED) return offset + 1;
    throw new MllpFramingError('NOT_MLLP', `byte 0x${byte.toString(16).padStart(2, '0')} outside an MLLP frame (expected the start block 0x0b)`);
  }

  /** Reads content from `offset`; returns where reading stopped (the chunk's end, or after a frame). */
  #readContent(chunk: Buffer, offset: number, frames: Buffer[]): number {
    let searchFrom = offset;
    for (;;) {
      const endBlock = chunk.indexOf(END_BLOCK, searchFrom);
      if (endBlock === -1) {
        this.#append(chunk.subarray(offset));
        return chunk.length;
      }
      if (endBlock === chunk.length - 1) {
        // Hold the FS back with the content: the next chunk tells whether it ends the frame.
        this.#ensureRoom(endBlock - offset);
        this.#keep(chunk.subarray(offset));
        this.#endBlockPending = true;
        return chunk.length;
      }
      if (chunk[endBlock + 1] === CARRIAGE_RETURN) {
        this.#ensureRoom(endBlock - offset);
        frames.push(this.#finishFrame(chunk.subarray(offset, endBlock), 0));
        return endBlock + 2;
      }
      // An FS not followed by CR is content (HL7 text never holds one; the message check will say so).
      searchFrom = endBlock + 1;
    }
  }

  #append(part: Buffer): void {
    this.#ensureRoom(part.length);
    this.#keep(part);
  }

  #keep(part: Buffer): void {
    if (part.length === 0) return;
    this.#parts.push(part);
    this.#partBytes += part.length;
  }

  #ensureRoom(bytes: number): void {
    if (this.#partBytes + bytes > this.#maxFrameBytes) {
      throw new MllpFramingError('FRAME_TOO_LARGE', `frame larger than ${this.#maxFrameBytes} bytes before its end block`);
    }
  }

  /** Joins the parts (plus `last`), dropping `trimEnd` trailing bytes (a held-back FS). */
  #finishFrame(last: Buffer | undefined, trimEnd: number): Buffer {
    const parts = last && last.length > 0 ? [...this.#parts, last] : this.#parts;
    const joined = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.#parts = [];
    this.#partBytes = 0;
    this.#inFrame = false;
    return trimEnd > 0 ? joined.subarray(0, joined.length - trimEnd) : joined;
  }
}
