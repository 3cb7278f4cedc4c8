import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Hl7Message } from '@medplum/core';
import { INGEST_QUEUE, PermanentError, RetryableError } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBus } from './mllp-support.ts';
import { adtMessage, startTestBus, startTestListener, takeEnvelopes } from './mllp-support.ts';
import { encodeMllpFrame, MllpFrameDecoder } from '../src/mllp/mllp-frame.ts';
import { MllpDeliveryError, MllpRejectedError, MllpSender } from '../src/mllp/mllp-sender.ts';

/** What a scripted receiver does with the n-th frame it gets (1-based, over all connections). */
type Reply = { ack: string } | 'silent' | 'close';

interface ScriptedReceiver {
  port: number;
  frames: string[];
  connections: number;
  stop(): Promise<void>;
}

/** A small MLLP receiver that answers as a test says: the RIS stand-in. */
async function scriptedReceiver(reply: (text: string, n: number) => Reply, port = 0): Promise<ScriptedReceiver> {
  const frames: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const decoder = new MllpFrameDecoder(1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const text = frame.toString('utf8');
        frames.push(text);
        const answer = reply(text, frames.length);
        if (answer === 'close') socket.destroy();
        else if (answer !== 'silent') socket.write(encodeMllpFrame(Buffer.from(answer.ack, 'utf8')));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    frames,
    get connections() {
      return connections;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function ackFor(text: string, code: string, errText?: string): { ack: string } {
  const message = Hl7Message.parse(text);
  const controlId = message.getSegment('MSH')?.getField(10)?.toString() ?? '';
  const err = errText ? `\rERR||MSH^1^9|200^Unsupported message type^HL70357|E||||${errText}` : '';
  return { ack: `MSH|^~\\&|RIS|RAD|SIMPUL|HUB|20240101||ACK^O01^ACK|A${controlId}|P|2.5.1\rMSA|${code}|${controlId}${err}` };
}

const order = (controlId: string): string => adtMessage({ 9: 'ORM^O01', 10: controlId }, 'PID|1||123\rORC|NW|ORD1\rOBR|1|ORD1||CT^CT HEAD');
const fast = { retryDelayMs: 10, maxRetryDelayMs: 20, ackTimeoutMs: 1000, connectTimeoutMs: 1000 };

describe('MllpSender', () => {
  let testBus: TestBus;
  beforeAll(async () => {
    testBus = await startTestBus();
  });
  afterAll(async () => {
    await testBus.remove();
  });

  it("delivers to Simpul's own listener (AA) and reuses one connection for several messages", async () => {
    const listener = await startTestListener(testBus.bus, { messageTypes: ['ORM^O01'] });
    const sender = new MllpSender({ host: '127.0.0.1', port: listener.port, ...fast });
    try {
      for (const id of ['S1', 'S2', 'S3']) {
        expect(await sender.sendAndWait(order(id))).toMatchObject({ ackCode: 'AA', controlId: id, attempts: 1 });
      }
    } finally {
      await sender.close();
      await listener.close();
    }
    expect(listener.lines.filter((line) => line.msg === 'MLLP connection opened')).toHaveLength(1);
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(3);
    await takeEnvelopes(testBus.bus, 3);
  });

  it('retries AE with the same MSH-10 and succeeds on the next attempt', async () => {
    const receiver = await scriptedReceiver((text, n) => ackFor(text, n === 1 ? 'AE' : 'AA', n === 1 ? 'database busy' : undefined));
    const sender = new MllpSender({ host: '127.0.0.1', port: receiver.port, ...fast });
    try {
      expect(await sender.sendAndWait(order('AE1'))).toMatchObject({ ackCode: 'AA', attempts: 2 });
      expect(receiver.frames.map((frame) => Hl7Message.parse(frame).getSegment('MSH')?.getField(10)?.toString())).toEqual(['AE1', 'AE1']);
    } finally {
      await sender.close();
      await receiver.stop();
    }
  });

  it('accepts CA (commit accept of enhanced mode)', async () => {
    const receiver = await scriptedReceiver((text) => ackFor(text, 'CA'));
    const sender = new MllpSender({ host: '127.0.0.1', port: receiver.port, ...fast });
    try {
      expect((await sender.sendAndWait(order('CA1'))).ackCode).toBe('CA');
    } finally {
      await sender.close();
      await receiver.stop();
    }
  });

  it('gives up on AR at once with a permanent error carrying the ERR text', async () => {
    const receiver = await scriptedReceiver((text) => ackFor(text, 'AR', 'order type not accepted'));
    const sender = new MllpSender({ host: '127.0.0.1', port: receiver.port, ...fast });
    try {
      const error = await sender.sendAndWait(order('AR1')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MllpRejectedError);
      expect(error).toBeInstanceOf(PermanentError);
      expect(error).toMatchObject({ ackCode: 'AR', errorText: 'order type not accepted' });
      expect(receiver.frames).toHaveLength(1);
    } finally {
      await sender.close();
      await receiver.stop();
    }
  });

  it('after maxAttempts of AE, fails with a retryable error carrying the last ERR text', async () => {
    const receiver = await scriptedReceiver((text) => ackFor(text, 'AE', 'disk full'));
    const sender = new MllpSender({ host: '127.0.0.1', port: receiver.port, ...fast, maxAttempts: 3 });
    try {
      const error = await sender.sendAndWait(order('AE3')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MllpDeliveryError);
      expect(error).toBeInstanceOf(RetryableError);
      expect(error).toMatchObject({ ackCode: 'AE', errorText: 'disk full', attempts: 3 });
      expect(receiver.frames).toHaveLength(3);
    } finally {
      await sender.close();
      await receiver.stop();
    }
  });

  it('times out a silent receiver, reconnects, and delivers on a fresh connection', async () => {
    const receiver = await scriptedReceiver((text, n) => (n === 1 ? 'silent' : ackFor(text, 'AA')));
    const sender = new MllpSender({ host: '127.0.0.1', port: receiver.port, ...fast, ackTimeoutMs: 300 });
    try {
      expect(await sender.sendAndWait(order('T1'))).toMatchObject({ ackCode: 'AA', attempts: 2 });
      expect(receiver.connections).toBe(2);
    } finally {
      await sender.close();
      await receiver.stop();
    }
  });

  it('notices a receiver that drops the connection while the sender waits, and retries', async () => {
    const receiver = await scriptedReceiver((text, n) => (n === 1 ? 'close' : ackFor(text, 'AA')));
    const sender = new MllpSender({ host: '127.0.0.1', port: receiver.port, ...fast, ackTimeoutMs: 10_000 });
    try {
      const started = Date.now();
      expect(await sender.sendAndWait(order('DROP1'))).toMatchObject({ ackCode: 'AA', attempts: 2 });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await sender.close();
      await receiver.stop();
    }
  });

  it('reconnects to a receiver that was down at first', async () => {
    const probe = await scriptedReceiver(() => 'silent');
    const port = probe.port;
    await probe.stop();
    const sender = new MllpSender({ host: '127.0.0.1', port, ...fast, retryDelayMs: 300, maxRetryDelayMs: 300, maxAttempts: 5 });
    const sending = sender.sendAndWait(order('UP1'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const receiver = await scriptedReceiver((text) => ackFor(text, 'AA'), port);
    try {
      const result = await sending;
      expect(result.ackCode).toBe('AA');
      expect(result.attempts).toBeGreaterThan(1);
    } finally {
      await sender.close();
      await receiver.stop();
    }
  });

  it('refuses a message without MSH-10 before sending anything', async () => {
    const sender = new MllpSender({ host: '127.0.0.1', port: 1, ...fast });
    await expect(sender.sendAndWait(order(''))).rejects.toBeInstanceOf(PermanentError);
    await sender.close();
  });
});
