import { connect } from 'node:net';
import type { Socket } from 'node:net';

/**
 * A minimal MLLP load generator: `connections` sockets, each keeping `inFlight` frames
 * unanswered, every ACK checked (MSA-1 AA/CA, MSA-2 = the MSH-10 sent, in order), latency per
 * message from write to its ACK. Deliberately independent of Simpul's own framing code.
 */

export interface LoadResult {
  messages: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

/** Raw figures of one run, so that several rounds can be added up. */
export interface LoadSample {
  latenciesMs: number[];
  seconds: number;
  failures: number;
}

export function summarize(samples: LoadSample[]): LoadResult {
  const latencies = samples.flatMap((sample) => sample.latenciesMs).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0);
  return {
    messages: latencies.length,
    seconds,
    perSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    failures: samples.reduce((sum, sample) => sum + sample.failures, 0),
  };
}

interface Pending {
  controlId: string;
  sentAt: number;
}

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

export async function runLoad(options: { port: number; messages: string[]; connections: number; inFlight: number }): Promise<LoadSample> {
  const frames = options.messages.map((text) => Buffer.concat([Buffer.from([VT]), Buffer.from(text, 'utf8'), Buffer.from([FS, CR])]));
  const controlIds = options.messages.map((text) => text.split('\r', 1)[0].split('|')[9]);
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      const socket = await open(options.port);
      const pending: Pending[] = [];
      let buffered: Buffer = Buffer.alloc(0);
      await new Promise<void>((resolve, reject) => {
        const sendMore = (): void => {
          while (pending.length < options.inFlight && next < frames.length) {
            const index = next++;
            pending.push({ controlId: controlIds[index], sentAt: performance.now() });
            socket.write(frames[index]);
          }
          if (pending.length === 0) resolve();
        };
        socket.on('data', (chunk: Buffer) => {
          buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
          let start = 0;
          for (;;) {
            const end = buffered.indexOf(FS, start);
            if (end === -1 || end + 1 >= buffered.length) break;
            const ack = buffered.toString('latin1', buffered.indexOf(VT, start) + 1, end);
            start = end + 2;
            const expected = pending.shift();
            if (!expected) {
              reject(new Error('an ACK for nothing sent'));
              return;
            }
            latencies.push(performance.now() - expected.sentAt);
            if (!/\rMSA\|(AA|CA)\|/.test(ack) || !ack.includes(`|${expected.controlId}`)) failures++;
          }
          buffered = buffered.subarray(start);
          sendMore();
        });
        socket.on('error', reject);
        sendMore();
      });
      socket.destroy();
    }),
  );
  return { latenciesMs: latencies, seconds: (performance.now() - started) / 1000, failures };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
