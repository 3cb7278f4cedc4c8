import { connect } from 'node:net';
import { INGEST_QUEUE } from '@simpul/infra';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestBus, TestListener } from './mllp-support.ts';
import { adtMessage, err, eventually, msa, RawMllpClient, startTestBus, startTestListener, takeEnvelopes } from './mllp-support.ts';

let testBus: TestBus;
let listener: TestListener;

beforeAll(async () => {
  testBus = await startTestBus();
  listener = await startTestListener(testBus.bus, { idleTimeoutSeconds: 1, frameTimeoutSeconds: 2, maxConnections: 20 });
});

afterEach(async () => {
  // Bad input never reaches the bus.
  expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(0);
});

afterAll(async () => {
  await listener.close();
  await testBus.remove();
});

/** A good message still gets AA while the bad input is being dealt with on another connection. */
async function stillServes(controlId: string): Promise<void> {
  const good = await RawMllpClient.connect(listener.port);
  good.send(adtMessage({ 10: controlId }, 'PID|1||1'));
  expect(msa(await good.nextAck())).toMatchObject({ code: 'AA', controlId });
  good.close();
  // The good one is stored: take it back off so the queue check after each test holds.
  await eventually('the good message is stored', async () => (await testBus.bus.queueDepth(INGEST_QUEUE)) === 1);
  await takeEnvelopes(testBus.bus, 1);
}

function logged(msg: string, match: (line: Record<string, unknown>) => boolean = () => true): boolean {
  return listener.lines.some((line) => line.msg === msg && match(line));
}

describe('bad input gets a clear ACK/ERR or a closed connection, is logged, and does not disturb anyone else', () => {
  it.each([
    ['no MSH', 'MSH^1', '100', 'PID|1||123', /does not start with an MSH segment/],
    ['wrong encoding characters', 'MSH^1^2', '102', adtMessage({ 10: 'ENC1' }).replace('^~\\&', '^~'), /encoding characters/],
    ['a truncated MSH', 'MSH^1^12', '101', 'MSH|^~\\&|HIS|RSUD|SIMPUL|HUB|20240101||ADT^A01|TRUNC1', /MSH-12/],
    ['a truncated segment', 'P^1', '100', adtMessage({ 10: 'TRUNC2' }, 'EVN|A01|20240101\rP'), /not a valid segment/],
    ['a bad date', 'PID^1^7', '102', adtMessage({ 10: 'DATE1' }, 'PID|1||123||Santoso^Budi||19801340'), /PID-7 "19801340"/],
    ['a bad MSH-7', 'MSH^1^7', '102', adtMessage({ 7: '2024-01-01', 10: 'DATE2' }), /MSH-7/],
    ['an unknown message type', 'MSH^1^9', '200', adtMessage({ 9: 'ZZZ^Z99', 10: 'TYPE1' }), /"ZZZ\\S\\Z99" is not accepted/],
    ['an unknown event', 'MSH^1^9', '201', adtMessage({ 9: 'ADT^A99', 10: 'TYPE2' }), /"ADT\\S\\A99"/],
    ['an unsupported version', 'MSH^1^12', '203', adtMessage({ 12: '2.1', 10: 'VER1' }), /version "2.1"/],
    ['binary garbage inside a frame', 'MSH^1', '100', Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x41]), /does not start with an MSH segment/],
  ])('%s → AR with ERR-2 %s, ERR-3 %s', async (what, location, code, message, text) => {
    const client = await RawMllpClient.connect(listener.port);
    client.send(message);
    const ack = await client.nextAck(5000, 'latin1');
    expect(msa(ack).code).toBe('AR');
    expect(err(ack)).toMatchObject({ location, code });
    expect(err(ack)?.text).toMatch(text);
    // The connection stays usable after a rejected message.
    const next = `after-${what.replaceAll(' ', '-')}`;
    client.send(adtMessage({ 10: next }, 'PID|1||1'));
    expect(msa(await client.nextAck())).toMatchObject({ code: 'AA', controlId: next });
    client.close();
    expect(logged('HL7 message rejected', (line) => line.code === code && line.location === location), what).toBe(true);
    await takeEnvelopes(testBus.bus, 1);
  });

  it('a frame with no end byte: the connection is closed after the idle timeout, logged, nothing acknowledged', async () => {
    const client = await RawMllpClient.connect(listener.port);
    client.write(`\x0b${adtMessage({ 10: 'NOEND' })}`);
    await stillServes('while-no-end');
    const started = Date.now();
    await client.closed;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(client.pendingFrames).toBe(0);
    expect(logged('MLLP connection closed by the listener', (line) => /no data for 1 s in the middle of a frame/.test(String(line.reason)))).toBe(true);
  });

  it('a 50 MB frame: the connection is closed once it passes the size limit, logged, and the listener keeps serving', async () => {
    const client = await RawMllpClient.connect(listener.port);
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    client.write(Buffer.from(`\x0b${adtMessage({ 10: 'HUGE' })}\rOBX|1|ED|||`, 'utf8'));
    for (let i = 0; i < 50 && !client.socket.destroyed; i++) {
      if (!client.socket.write(chunk)) await new Promise((resolve) => client.socket.once('drain', resolve).once('close', resolve));
    }
    await client.closed;
    expect(client.pendingFrames).toBe(0);
    expect(logged('MLLP connection closed by the listener', (line) => /larger than 10485760 bytes/.test(String(line.reason)))).toBe(true);
    await stillServes('after-huge');
  });

  it('binary garbage outside a frame: the connection is closed and logged with the first bytes', async () => {
    const client = await RawMllpClient.connect(listener.port);
    client.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]));
    await client.closed;
    expect(logged('MLLP connection closed by the listener', (line) => line.firstBytes === 'deadbeef0001' && /outside an MLLP frame/.test(String(line.reason)))).toBe(true);
    await stillServes('after-garbage');
  });

  it('a TLS client on the plain port is closed with a hint', async () => {
    const client = await RawMllpClient.connect(listener.port);
    client.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    await client.closed;
    expect(logged('MLLP connection closed by the listener', (line) => /TLS client on a plain port/.test(String(line.reason)))).toBe(true);
  });

  it('a slow-loris connection trickling one byte at a time is closed when the frame takes too long', async () => {
    const client = await RawMllpClient.connect(listener.port);
    const text = `\x0b${adtMessage({ 10: 'SLOW' })}`;
    let index = 0;
    const timer = setInterval(() => {
      if (!client.socket.destroyed && index < text.length) client.write(text[index++]);
    }, 200);
    try {
      await stillServes('while-slow');
      await client.closed;
    } finally {
      clearInterval(timer);
    }
    expect(logged('MLLP connection closed by the listener', (line) => /frame not complete 2 s after it started/.test(String(line.reason)))).toBe(true);
  });

  it('a connection idle between frames is left open (persistent senders are normal)', async () => {
    const client = await RawMllpClient.connect(listener.port);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(client.socket.destroyed).toBe(false);
    client.send(adtMessage({ 10: 'IDLE-OK' }, 'PID|1||1'));
    expect(msa(await client.nextAck()).code).toBe('AA');
    client.close();
    await takeEnvelopes(testBus.bus, 1);
  });

  it('connections past maxConnections are refused and logged; the others are served', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawMllpClient.connect(listener.port)));
    const extra = connect({ host: '127.0.0.1', port: listener.port });
    extra.on('error', () => undefined);
    await new Promise((resolve) => extra.once('close', resolve));
    await eventually('the refusal is logged', () => logged('MLLP connection refused: too many connections'));
    for (const client of clients) client.close();
    await Promise.all(clients.map((client) => client.closed));
    await eventually('connections are released', async () => {
      try {
        await stillServes('after-max');
        return true;
      } catch {
        return false;
      }
    });
  });
});
