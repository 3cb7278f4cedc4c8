import { Hl7Client } from '@medplum/hl7';
import { EXCHANGES, INGEST_QUEUE } from '@simpul/infra';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestBus, TestListener } from './mllp-support.ts';
import { adtMessage, captureLogger, forHl7Client, err, mllpConfig, msa, RawMllpClient, startTestBus, startTestListener, takeEnvelopes } from './mllp-support.ts';
import { startMllpListeners } from '../src/mllp/mllp-listener.ts';

let testBus: TestBus;
let listener: TestListener | undefined;

beforeAll(async () => {
  testBus = await startTestBus();
});

afterEach(async () => {
  await listener?.close();
  listener = undefined;
  // Each test starts from an empty ingest queue.
  const left = await testBus.bus.queueDepth(INGEST_QUEUE);
  if (left > 0) await takeEnvelopes(testBus.bus, left);
});

afterAll(async () => {
  await testBus.remove();
});

/** The ACK as @medplum/hl7 hands it over: built with its own copy of @medplum/core, read by methods only. */
function ackFields(ack: { getSegment(name: string): { getField(i: number): { toString(): string } | undefined } | undefined }): { code: string; controlId: string } {
  const segment = ack.getSegment('MSA');
  return { code: segment?.getField(1)?.toString() ?? '', controlId: segment?.getField(2)?.toString() ?? '' };
}

describe('MLLP listener over loopback', () => {
  it('answers 2,000 messages on one persistent Hl7Client connection: one ACK each, MSA-2 = MSH-10, each stored exactly once', async () => {
    listener = await startTestListener(testBus.bus);
    const client = new Hl7Client({ host: '127.0.0.1', port: listener.port });
    const sent: string[] = [];
    try {
      for (let i = 0; i < 2000; i++) {
        const controlId = `P${i.toString().padStart(5, '0')}`;
        sent.push(controlId);
        const ack = await client.sendAndWait(forHl7Client(adtMessage({ 10: controlId })), { timeoutMs: 5000 });
        expect(ackFields(ack)).toEqual({ code: 'AA', controlId });
      }
    } finally {
      await client.close();
    }
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(2000);
    const envelopes = await takeEnvelopes(testBus.bus, 2000);
    expect(envelopes.map((envelope) => envelope.headers?.controlId).sort()).toEqual(sent);
    expect(new Set(envelopes.map((envelope) => envelope.id)).size).toBe(2000);
    expect(listener.lines.filter((line) => line.msg === 'HL7 message stored')).toHaveLength(2000);
  });

  it('stores concurrent sendAndWait calls on one connection (pipelining) and answers each', async () => {
    listener = await startTestListener(testBus.bus);
    const client = new Hl7Client({ host: '127.0.0.1', port: listener.port });
    try {
      const ids = Array.from({ length: 200 }, (_, i) => `Q${i}`);
      const acks = await Promise.all(ids.map((controlId) => client.sendAndWait(forHl7Client(adtMessage({ 10: controlId })), { timeoutMs: 10_000 })));
      expect(acks.map(ackFields)).toEqual(ids.map((controlId) => ({ code: 'AA', controlId })));
    } finally {
      await client.close();
    }
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(200);
  });

  it('answers frames pipelined in one write in the order they were sent', async () => {
    listener = await startTestListener(testBus.bus, { maxInFlightPerConnection: 8 });
    const client = await RawMllpClient.connect(listener.port);
    const ids = Array.from({ length: 60 }, (_, i) => `R${i}`);
    client.write(Buffer.concat(ids.map((id) => Buffer.from(`\x0b${adtMessage({ 10: id })}\x1c\r`, 'utf8'))));
    const answered: string[] = [];
    for (const _ of ids) answered.push(msa(await client.nextAck()).controlId);
    client.close();
    expect(answered).toEqual(ids);
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(60);
  });

  it('publishes an hl7 envelope to simpul.ingest with routing key hl7.<source>, the text as body, MSH headers, and the trace id it logs', async () => {
    await testBus.bus.declare({
      exchanges: [{ name: EXCHANGES.ingest, type: 'topic' }],
      queues: [{ name: 'test.hl7.his', arguments: {}, bindings: [{ exchange: EXCHANGES.ingest, routingKey: 'hl7.his' }] }],
    });
    listener = await startTestListener(testBus.bus, { sources: [{ name: 'his' }] });
    const client = await RawMllpClient.connect(listener.port);
    const text = adtMessage({ 10: 'ENV1', 15: 'AL', 16: 'AL' });
    client.send(text);
    expect(msa(await client.nextAck())).toMatchObject({ code: 'CA', controlId: 'ENV1' });
    client.close();
    expect(await testBus.bus.queueDepth('test.hl7.his')).toBe(1);
    const [envelope] = await takeEnvelopes(testBus.bus, 1);
    expect(envelope).toMatchObject({ kind: 'hl7', source: 'his', contentType: 'x-application/hl7-v2+er7', body: text });
    expect(envelope.headers).toMatchObject({
      messageType: 'ADT^A01',
      messageStructure: 'ADT_A01',
      controlId: 'ENV1',
      version: '2.5.1',
      sendingApplication: 'HIS',
      sendingFacility: 'RSUD',
      ackMode: 'enhanced',
      acceptAckType: 'AL',
      applicationAckType: 'AL',
      charset: 'UNICODE UTF-8',
      tls: 'false',
    });
    expect(envelope.headers?.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const stored = listener.lines.find((line) => line.msg === 'HL7 message stored');
    expect(stored).toMatchObject({ traceId: envelope.traceId, envelopeId: envelope.id, controlId: 'ENV1', source: 'his' });
  });

  it('acknowledges a repeat of the same message inside the window again without storing it twice', async () => {
    listener = await startTestListener(testBus.bus);
    const client = await RawMllpClient.connect(listener.port);
    client.send(adtMessage({ 10: 'DUP1' }));
    expect(msa(await client.nextAck()).code).toBe('AA');
    // The sender lost the ACK and resends (a fresh MSH-7 is still the same message).
    client.send(adtMessage({ 10: 'DUP1', 7: '20240101120500' }));
    expect(msa(await client.nextAck())).toMatchObject({ code: 'AA', controlId: 'DUP1' });
    // Same control id, different content: a sender bug, but the message must not be lost.
    client.send(adtMessage({ 10: 'DUP1' }, 'PID|1||999999^^^RSUD^MR||Wijaya^Sari'));
    expect(msa(await client.nextAck()).code).toBe('AA');
    client.close();
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(2);
    expect(listener.lines.filter((line) => line.msg.startsWith('HL7 message is a duplicate'))).toHaveLength(1);
    expect(listener.lines.some((line) => line.level === 'warn' && line.msg.startsWith('HL7 control id reused'))).toBe(true);
  });

  it('stores each copy when the duplicate window is 0', async () => {
    listener = await startTestListener(testBus.bus, { duplicateWindowSeconds: 0 });
    const client = await RawMllpClient.connect(listener.port);
    for (let i = 0; i < 2; i++) {
      client.send(adtMessage({ 10: 'NODUP' }));
      expect(msa(await client.nextAck()).code).toBe('AA');
    }
    client.close();
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(2);
  });

  it('follows MSH-15 in enhanced mode: no commit ACK for NE, CR for a reject under ER, none for an accept under ER', async () => {
    listener = await startTestListener(testBus.bus);
    const client = await RawMllpClient.connect(listener.port);
    client.send(adtMessage({ 10: 'E-NE', 15: 'NE', 16: 'AL' }));
    client.send(adtMessage({ 10: 'E-ER-OK', 15: 'ER', 16: 'AL' }));
    client.send(adtMessage({ 9: 'ZZZ^Z01', 10: 'E-ER-BAD', 15: 'ER', 16: 'AL' }));
    client.send(adtMessage({ 10: 'E-AL', 15: 'AL' }));
    const rejected = await client.nextAck();
    expect(msa(rejected)).toMatchObject({ code: 'CR', controlId: 'E-ER-BAD' });
    expect(err(rejected)?.code).toBe('200');
    expect(msa(await client.nextAck())).toMatchObject({ code: 'CA', controlId: 'E-AL' });
    client.close();
    // Unacknowledged by request, but stored all the same.
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(3);
  });

  it('listens on several sources at once, each with its own port, routing key and accepted types', async () => {
    await testBus.bus.declare({
      exchanges: [{ name: EXCHANGES.ingest, type: 'topic' }],
      queues: [{ name: 'test.hl7.lab', arguments: {}, bindings: [{ exchange: EXCHANGES.ingest, routingKey: 'hl7.lab' }] }],
    });
    const { logger } = captureLogger();
    const config = mllpConfig({ sources: [{ name: 'his', port: 1 }, { name: 'lab', port: 2, messageTypes: ['ORU^R01'] }] });
    const listeners = await startMllpListeners(config, { bus: testBus.bus, logger });
    try {
      expect(listeners.ports.his).not.toBe(listeners.ports.lab);
      const lab = await RawMllpClient.connect(listeners.ports.lab);
      lab.send(adtMessage({ 9: 'ORU^R01', 10: 'LAB1' }, 'PID|1||1\rOBR|1\rOBX|1|NM|x||5'));
      expect(msa(await lab.nextAck()).code).toBe('AA');
      lab.send(adtMessage({ 10: 'LAB2' }));
      expect(err(await lab.nextAck())?.code).toBe('200');
      lab.close();
      const his = await RawMllpClient.connect(listeners.ports.his);
      his.send(adtMessage({ 10: 'HIS1' }));
      expect(msa(await his.nextAck()).code).toBe('AA');
      his.close();
    } finally {
      await listeners.close();
    }
    expect(await testBus.bus.queueDepth('test.hl7.lab')).toBe(1);
    const envelopes = await takeEnvelopes(testBus.bus, 2);
    expect(envelopes.map((envelope) => envelope.source).sort()).toEqual(['his', 'lab']);
  });

  it('serves many connections at once', async () => {
    listener = await startTestListener(testBus.bus);
    const port = listener.port;
    const clients = await Promise.all(Array.from({ length: 50 }, () => RawMllpClient.connect(port)));
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; i < 10; i++) {
          client.send(adtMessage({ 10: `C${c}-${i}` }));
          expect(msa(await client.nextAck())).toMatchObject({ code: 'AA', controlId: `C${c}-${i}` });
        }
        client.close();
      }),
    );
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(500);
  });

  it('accepts a large result (an 8 MiB Base64 PDF in OBX-5) quickly and stores it intact', async () => {
    listener = await startTestListener(testBus.bus, { messageTypes: ['ORU^R01'] });
    const pdf = Buffer.alloc(6 * 1024 * 1024, 7).toString('base64');
    const text = adtMessage({ 9: 'ORU^R01', 10: 'BIG1' }, `PID|1||1\rOBR|1||F1|RAD^CT\rOBX|1|ED|PDF^Report||^application^pdf^Base64^${pdf}||||||F`);
    expect(Buffer.byteLength(text)).toBeGreaterThan(8 * 1024 * 1024);
    const client = await RawMllpClient.connect(listener.port);
    const started = performance.now();
    client.send(text);
    expect(msa(await client.nextAck(20_000))).toMatchObject({ code: 'AA', controlId: 'BIG1' });
    expect(performance.now() - started).toBeLessThan(5000);
    client.close();
    const [envelope] = await takeEnvelopes(testBus.bus, 1);
    expect(envelope.body.length).toBe(text.length);
    expect(envelope.body === text).toBe(true);
  });

  it('answers a sender that half-closes its side right after sending, then closes', async () => {
    listener = await startTestListener(testBus.bus);
    const client = await RawMllpClient.connect(listener.port);
    client.send(adtMessage({ 10: 'HALF1' }));
    client.socket.end();
    expect(msa(await client.nextAck())).toMatchObject({ code: 'AA', controlId: 'HALF1' });
    await client.closed;
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(1);
  });

  it('closes gracefully: frames already received are stored and answered before the connection ends', async () => {
    listener = await startTestListener(testBus.bus);
    const client = await RawMllpClient.connect(listener.port);
    const ids = Array.from({ length: 20 }, (_, i) => `G${i}`);
    client.write(Buffer.concat(ids.map((id) => Buffer.from(`\x0b${adtMessage({ 10: id })}\x1c\r`, 'utf8'))));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = listener.close();
    listener = undefined;
    const answered: string[] = [];
    for (const _ of ids) answered.push(msa(await client.nextAck()).controlId);
    await closing;
    await client.closed;
    expect(answered).toEqual(ids);
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(20);
  });
});
