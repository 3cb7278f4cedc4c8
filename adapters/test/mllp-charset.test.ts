import { Hl7Client } from '@medplum/hl7';
import { INGEST_QUEUE } from '@simpul/infra';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestBus, TestListener } from './mllp-support.ts';
import { adtMessage, err, forHl7Client, msa, RawMllpClient, startTestBus, startTestListener, takeEnvelopes } from './mllp-support.ts';

let testBus: TestBus;
let listener: TestListener | undefined;

beforeAll(async () => {
  testBus = await startTestBus();
});

afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

afterAll(async () => {
  await testBus.remove();
});

const LATIN1_NAMES = 'Santoso^Budi~Lestari^Dewi Ayu~Müller^José~Ñúñez^Ana Çelik';
const UTF8_NAMES = 'Nguyễn^Thị Hương~Lestari^Dewi Ayu~Müller^José~王^小明~Ṣàláwù^Ọlá';

async function onlyEnvelope(): Promise<{ body: string; headers?: Record<string, string> }> {
  expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(1);
  const [envelope] = await takeEnvelopes(testBus.bus, 1);
  return envelope;
}

describe('character sets (MSH-18) from the wire into the envelope', () => {
  it('8859/1: latin1 bytes arrive as the same text, and the ACK echoes the accented facility in latin1', async () => {
    listener = await startTestListener(testBus.bus);
    const text = adtMessage({ 4: 'RSÜD Bandung', 10: 'L1', 18: '8859/1' }, `PID|1||123^^^RSUD^MR||${LATIN1_NAMES}||19800401|F`);
    const client = await RawMllpClient.connect(listener.port);
    client.send(text, 'latin1');
    const ackBytes = await client.nextFrame();
    client.close();
    const ack = ackBytes.toString('latin1');
    expect(ack).toContain('|RSÜD Bandung|');
    expect(ack.split('\r')[0].split('|')[17]).toBe('8859/1');
    expect(ack).toContain('MSA|AA|L1');
    const envelope = await onlyEnvelope();
    expect(envelope.body).toBe(text);
    expect(envelope.headers?.charset).toBe('8859/1');
    expect(envelope.headers?.sendingFacility).toBe('RSÜD Bandung');
  });

  it('UNICODE UTF-8: multi-byte names (Vietnamese, Chinese, Yoruba) arrive unchanged', async () => {
    listener = await startTestListener(testBus.bus);
    const text = adtMessage({ 10: 'U1', 18: 'UNICODE UTF-8' }, `PID|1||123^^^RSUD^MR||${UTF8_NAMES}||19800401|F`);
    const client = await RawMllpClient.connect(listener.port);
    client.send(text, 'utf8');
    expect(msa(await client.nextAck()).code).toBe('AA');
    client.close();
    expect((await onlyEnvelope()).body).toBe(text);
  });

  it("without MSH-18 the source's default charset applies (8859/1 here)", async () => {
    listener = await startTestListener(testBus.bus, { defaultCharset: '8859/1' });
    const text = adtMessage({ 10: 'D1' }, `PID|1||123^^^RSUD^MR||${LATIN1_NAMES}`);
    const client = await RawMllpClient.connect(listener.port);
    client.send(text, 'latin1');
    expect(msa(await client.nextAck(5000, 'latin1')).code).toBe('AA');
    client.close();
    const envelope = await onlyEnvelope();
    expect(envelope.body).toBe(text);
    expect(envelope.headers?.charset).toBe('8859/1');
  });

  it('latin1 bytes where UTF-8 is expected are rejected (AR, ERR at MSH-18), not stored garbled', async () => {
    listener = await startTestListener(testBus.bus);
    const client = await RawMllpClient.connect(listener.port);
    client.send(adtMessage({ 10: 'BADUTF' }, `PID|1||123^^^RSUD^MR||${LATIN1_NAMES}`), 'latin1');
    const ack = await client.nextAck(5000, 'latin1');
    client.close();
    expect(msa(ack)).toMatchObject({ code: 'AR', controlId: 'BADUTF' });
    expect(err(ack)).toMatchObject({ code: '102', location: 'MSH^1^18' });
    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(0);
  });

  it("@medplum/hl7's Hl7Client writing latin1 is understood too", async () => {
    listener = await startTestListener(testBus.bus);
    const text = adtMessage({ 10: 'HC1', 18: '8859/1' }, `PID|1||123^^^RSUD^MR||${LATIN1_NAMES}`);
    const client = new Hl7Client({ host: '127.0.0.1', port: listener.port, encoding: 'latin1' });
    try {
      const ack = await client.sendAndWait(forHl7Client(text), { timeoutMs: 5000 });
      expect(ack.getSegment('MSA')?.getField(1)?.toString()).toBe('AA');
    } finally {
      await client.close();
    }
    expect((await onlyEnvelope()).body).toBe(text);
  });
});
