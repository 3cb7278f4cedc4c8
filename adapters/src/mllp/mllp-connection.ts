import type { Socket } from 'node:net';
import type { Logger } from '@simpul/infra';
import type { AcceptResult } from './accept-message.ts';
import { encodeMllpFrame, MllpFrameDecoder, MllpFramingError } from './mllp-frame.ts';
import type { MllpSourceConfig } from './source-settings.ts';

export interface MllpConnectionOptions {
  socket: Socket;
  source: MllpSourceConfig;
  logger: Logger;
  /** Answers one frame; never rejects. */
  handleFrame(frame: Buffer): Promise<AcceptResult>;
}

const KEEPALIVE_DELAY_MS = 60_000;

/**
 * One sender's connection. Frames are handled as they arrive (a pipelining sender gets its
 * messages stored concurrently, published in arrival order) and ACKs are written in the order of
 * the frames. Reading pauses while `maxInFlightPerConnection` frames are unanswered or the sender
 * is not reading its ACKs. The connection is closed, with a log line, when it sends bytes outside a
 * frame, a frame past `maxMessageBytes`, stalls inside a frame for `idleTimeoutSeconds`, or takes
 * longer than `frameTimeoutSeconds` to finish one. An idle connection between frames stays open.
 */
export class MllpConnection {
  readonly #socket: Socket;
  readonly #source: MllpSourceConfig;
  readonly #logger: Logger;
  readonly #handleFrame: (frame: Buffer) => Promise<AcceptResult>;
  readonly #decoder: MllpFrameDecoder;
  readonly #openedAt = Date.now();
  readonly #closed: Promise<void>;
  readonly #counts = { accepted: 0, duplicate: 0, rejected: 0, error: 0 };
  #inFlight = 0;
  #answered: Promise<void> = Promise.resolve();
  #frameTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #corked = false;
  #abortReason: string | undefined;

  constructor(options: MllpConnectionOptions) {
    this.#socket = options.socket;
    this.#source = options.source;
    this.#logger = options.logger;
    this.#handleFrame = options.handleFrame;
    this.#decoder = new MllpFrameDecoder(options.source.maxMessageBytes);
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onPeerEnd());
    socket.on('drain', () => this.#resumeIfRoom());
    socket.on('timeout', () => this.#abort(`no data for ${this.#source.idleTimeoutSeconds} s in the middle of a frame`));
    socket.on('error', (error) => {
      if (!this.#abortReason) this.#logger.warn({ err: error.message }, 'MLLP connection error');
    });
    socket.once('close', () => this.#onClose());
    this.#logger.info('MLLP connection opened');
  }

  /** Settles once the socket is closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /**
   * Graceful close: stop reading, let the frames already received be stored and answered, then end
   * the connection. After `deadlineMs` the socket is destroyed whatever is left.
   */
  async close(deadlineMs: number): Promise<void> {
    this.#closing = true;
    this.#socket.pause();
    this.#clearFrameTimers();
    const deadline = setTimeout(() => this.#socket.destroy(), deadlineMs);
    try {
      await Promise.race([this.#answered, this.#closed]);
      this.#socket.end();
      await this.#closed;
    } finally {
      clearTimeout(deadline);
    }
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof MllpFramingError)) {
        this.#logger.error({ err: error }, 'MLLP frame decoding failed unexpectedly');
        this.#abort('internal error while reading frames');
        return;
      }
      const hint = error.code === 'NOT_MLLP' && chunk[0] === 0x16 ? ' (a TLS client on a plain port?)' : '';
      this.#abort(`${error.message}${hint}`, { firstBytes: chunk.subarray(0, 16).toString('hex') });
      return;
    }
    for (const frame of frames) this.#answer(frame);
    this.#watchFrame(frames.length > 0);
    if (this.#inFlight >= this.#source.maxInFlightPerConnection || this.#socket.writableNeedDrain) this.#socket.pause();
  }

  #answer(frame: Buffer): void {
    this.#inFlight++;
    const result = this.#handleFrame(frame);
    this.#answered = this.#answered
      .then(() => result)
      .then(({ outcome, ack }) => {
        this.#counts[outcome]++;
        if (ack && this.#socket.writable) this.#write(encodeMllpFrame(ack));
      })
      .catch((error: unknown) => {
        // handleFrame never rejects; this is a bug, and the sender must not wait for an ACK in vain.
        this.#logger.error({ err: error }, 'MLLP answer could not be written');
        this.#abort('internal error while answering');
      })
      .finally(() => {
        this.#inFlight--;
        this.#resumeIfRoom();
      });
  }

  /** ACKs that become ready in the same tick (one broker confirm often covers several) leave in one write. */
  #write(frame: Buffer): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(frame);
  }

  /** Arms the stall and frame-length timers while a frame is unfinished; `restart` when a new one began. */
  #watchFrame(restart: boolean): void {
    if (!this.#decoder.inFrame) {
      this.#clearFrameTimers();
      return;
    }
    if (restart) clearTimeout(this.#frameTimer);
    if (restart || this.#frameTimer === undefined) {
      this.#socket.setTimeout(this.#source.idleTimeoutSeconds * 1000);
      this.#frameTimer = setTimeout(
        () => this.#abort(`frame not complete ${this.#source.frameTimeoutSeconds} s after it started (${this.#decoder.pendingBytes} bytes so far)`),
        this.#source.frameTimeoutSeconds * 1000,
      );
      this.#frameTimer.unref();
    }
  }

  #clearFrameTimers(): void {
    if (this.#frameTimer === undefined) return;
    clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
    this.#socket.setTimeout(0);
  }

  #resumeIfRoom(): void {
    if (this.#closing || !this.#socket.isPaused()) return;
    if (this.#inFlight < this.#source.maxInFlightPerConnection && !this.#socket.writableNeedDrain) this.#socket.resume();
  }

  /** The sender finished writing: answer what it sent, then close our side. */
  #onPeerEnd(): void {
    void this.#answered.then(() => this.#socket.end());
  }

  #abort(reason: string, details: Record<string, unknown> = {}): void {
    if (this.#abortReason || this.#socket.destroyed) return;
    this.#abortReason = reason;
    this.#logger.warn({ ...details, reason }, 'MLLP connection closed by the listener');
    this.#clearFrameTimers();
    this.#socket.destroy();
  }

  #onClose(): void {
    this.#clearFrameTimers();
    const partial = this.#decoder.inFrame ? this.#decoder.pendingBytes : 0;
    this.#logger.info(
      { ...this.#counts, unfinishedFrameBytes: partial || undefined, durationMs: Date.now() - this.#openedAt, reason: this.#abortReason },
      partial > 0 && !this.#abortReason ? 'MLLP connection closed in the middle of a frame; that frame is dropped (never acknowledged)' : 'MLLP connection closed',
    );
  }
}
