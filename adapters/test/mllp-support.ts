import { connect as connectTcp } from 'node:net';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { connect as connectTls } from 'node:tls';
import type { Bus, BusOptions, Envelope, Logger, MllpConfig, SimpulConfigInput } from '@simpul/infra';
import { Bus as BusClass, createLogger, declareTopology, INGEST_QUEUE, parseConfig } from '@simpul/infra';
import type { TestVhost } from '@simpul/infra/testing';
import { createTestVhost } from '@simpul/infra/testing';
import { Hl7Message } from '@medplum/core';
import type { Hl7Client } from '@medplum/hl7';
import { encodeMllpFrame, MllpFrameDecoder } from '../src/mllp/mllp-frame.ts';
import type { MllpListeners } from '../src/mllp/mllp-listener.ts';
import { startMllpListeners } from '../src/mllp/mllp-listener.ts';

/** Test support for the MLLP edge: a bus on a vhost of its own, listeners on port 0, captured logs, a raw client. */

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', name: 'mllp-test', destination }), lines };
}

export interface TestBus {
  vhost: TestVhost;
  bus: Bus;
  remove(): Promise<void>;
}

/** A vhost with the ingest topology and a bus that gives up publishing quickly (for bus-down tests). */
export async function startTestBus(options: BusOptions = {}): Promise<TestBus> {
  const vhost = await createTestVhost('simpul_mllp');
  const bus = await BusClass.connect(vhost.url, { publishTimeoutMs: 1500, reconnectMinDelayMs: 100, reconnectMaxDelayMs: 400, ...options });
  await declareTopology(bus, { bots: [] });
  return {
    vhost,
    bus,
    async remove() {
      await bus.close();
      await vhost.remove();
    },
  };
}

/** The validated `mllp` section with every source on port 0. */
export function mllpConfig(mllp: NonNullable<SimpulConfigInput['mllp']> = {}): MllpConfig {
  const config = parseConfig({ mllp }).mllp;
  return { ...config, sources: config.sources.map((source) => ({ ...source, port: 0 })) };
}

export interface TestListener {
  listeners: MllpListeners;
  port: number;
  lines: LogLine[];
  close(): Promise<void>;
}

export async function startTestListener(bus: Pick<Bus, 'publish'>, mllp: NonNullable<SimpulConfigInput['mllp']> = {}): Promise<TestListener> {
  const { logger, lines } = captureLogger();
  const listeners = await startMllpListeners(mllpConfig(mllp), { bus, logger });
  return { listeners, port: Object.values(listeners.ports)[0], lines, close: () => listeners.close({ deadlineMs: 2000 }) };
}

/** Takes `count` envelopes off the ingest queue (acknowledging them), failing after `timeoutMs`. */
export async function takeEnvelopes(bus: Bus, count: number, timeoutMs = 10_000): Promise<Envelope<string>[]> {
  const taken: Envelope<string>[] = [];
  if (count === 0) return taken;
  let done!: () => void;
  const complete = new Promise<void>((resolve) => (done = resolve));
  const subscription = await bus.consume<string>(
    INGEST_QUEUE,
    async (envelope) => {
      if (taken.length >= count) throw new Error('more envelopes than expected');
      taken.push(envelope);
      if (taken.length === count) done();
    },
    { prefetch: 500 },
  );
  const timer = setTimeout(done, timeoutMs);
  await complete;
  clearTimeout(timer);
  await subscription.close();
  if (taken.length < count) throw new Error(`only ${taken.length} of ${count} envelopes arrived within ${timeoutMs} ms`);
  return taken;
}

/** An ADT^A01 whose MSH fields can be replaced by number (3 and up). */
export function adtMessage(msh: Record<number, string> = {}, rest = 'EVN|A01|20240101120000\rPID|1||123456^^^RSUD^MR||Santoso^Budi||19800401|M'): string {
  const fields: Record<number, string> = {
    3: 'HIS',
    4: 'RSUD',
    5: 'SIMPUL',
    6: 'HUB',
    7: '20240101120000',
    9: 'ADT^A01^ADT_A01',
    10: 'MSG0001',
    11: 'P',
    12: '2.5.1',
    ...msh,
  };
  const last = Math.max(12, ...Object.keys(fields).map(Number));
  const values = Array.from({ length: last - 2 }, (_, i) => fields[i + 3] ?? '');
  return `MSH|^~\\&|${values.join('|')}${rest ? `\r${rest}` : ''}`;
}

/**
 * A message for `@medplum/hl7`'s `Hl7Client`, whose types come from its own nested copy of
 * `@medplum/core`; at run time it only calls `getSegment` and `toString`, which ours has.
 */
export function forHl7Client(text: string): Parameters<Hl7Client['sendAndWait']>[0] {
  return Hl7Message.parse(text) as unknown as Parameters<Hl7Client['sendAndWait']>[0];
}

/** A plain-socket MLLP client that sends whatever bytes a test wants and reads ACK frames. */
export class RawMllpClient {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  readonly #decoder = new MllpFrameDecoder(64 * 1024 * 1024);
  readonly #frames: Buffer[] = [];
  #waiter: (() => void) | undefined;
  #ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#frames.push(...this.#decoder.push(chunk));
      this.#waiter?.();
    });
    // Writes into a connection the listener closed fail with EPIPE/ECONNRESET: expected in bad-input tests.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#ended = true;
        this.#waiter?.();
        resolve();
      }),
    );
  }

  static async connect(port: number, tls?: ConnectionOptions): Promise<RawMllpClient> {
    const socket = tls ? connectTls({ host: '127.0.0.1', port, ...tls }) : connectTcp({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawMllpClient(socket);
  }

  /** Frames and sends a message (text encoded as `encoding`). */
  send(message: string | Buffer, encoding: BufferEncoding = 'utf8'): void {
    this.socket.write(encodeMllpFrame(typeof message === 'string' ? Buffer.from(message, encoding) : message));
  }

  write(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** The next ACK frame, decoded; rejects if the connection closes first or after `timeoutMs`. */
  async nextAck(timeoutMs = 5000, encoding: BufferEncoding = 'utf8'): Promise<Hl7Message> {
    const frame = await this.nextFrame(timeoutMs);
    return Hl7Message.parse(frame.toString(encoding));
  }

  async nextFrame(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0) {
      if (this.#ended) throw new Error('the connection closed before an ACK arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ACK within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    return this.#frames.shift() as Buffer;
  }

  get pendingFrames(): number {
    return this.#frames.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function msa(ack: Hl7Message): { code: string; controlId: string; text: string } {
  const segment = ack.getSegment('MSA');
  return { code: segment?.getField(1)?.toString() ?? '', controlId: segment?.getField(2)?.toString() ?? '', text: segment?.getField(3)?.toString() ?? '' };
}

export function err(ack: Hl7Message): { location: string; code: string; text: string } | undefined {
  const segment = ack.getSegment('ERR');
  if (!segment) return undefined;
  return { location: segment.getField(2)?.toString() ?? '', code: segment.getField(3)?.getComponent(1) ?? '', text: segment.getField(8)?.toString() ?? '' };
}

/** Polls until `probe` holds; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
