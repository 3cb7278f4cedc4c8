import { createServer } from 'node:net';
import { INGEST_QUEUE, parseConfig } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBus, TestListener } from './mllp-support.ts';
import { adtMessage, captureLogger, err, eventually, msa, RawMllpClient, startTestBus, startTestListener, takeEnvelopes } from './mllp-support.ts';
import { runMllp } from '../src/mllp/run-mllp.ts';

let testBus: TestBus;
let listener: TestListener;

beforeAll(async () => {
  testBus = await startTestBus();
  listener = await startTestListener(testBus.bus);
});

afterAll(async () => {
  await listener.close();
  await testBus.remove();
});

describe('RabbitMQ unavailable', () => {
  it('answers AE (original) and CE (enhanced) with ERR 207 while the bus is down, then AA once it is back, storing each message exactly once', async () => {
    await testBus.vhost.denyAccess();
    await testBus.vhost.closeAllConnections();
    await eventually('the bus notices the loss', () => !testBus.bus.isReady());

    const client = await RawMllpClient.connect(listener.port);
    client.send(adtMessage({ 10: 'DOWN-1' }));
    const original = await client.nextAck(10_000);
    expect(msa(original)).toMatchObject({ code: 'AE', controlId: 'DOWN-1' });
    expect(err(original)).toMatchObject({ code: '207', text: 'message not stored; retry' });

    client.send(adtMessage({ 10: 'DOWN-2', 15: 'AL', 16: 'AL' }));
    const enhanced = await client.nextAck(10_000);
    expect(msa(enhanced)).toMatchObject({ code: 'CE', controlId: 'DOWN-2' });
    expect(err(enhanced)?.code).toBe('207');
    expect(listener.lines.some((line) => line.level === 'error' && line.msg.startsWith('HL7 message not stored') && line.controlId === 'DOWN-1')).toBe(true);

    await testBus.vhost.allowAccess();
    await eventually('the bus reconnects', () => testBus.bus.isReady(), 20_000);

    // The senders retry, as AE/CE told them to.
    client.send(adtMessage({ 10: 'DOWN-1' }));
    expect(msa(await client.nextAck(10_000))).toMatchObject({ code: 'AA', controlId: 'DOWN-1' });
    client.send(adtMessage({ 10: 'DOWN-2', 15: 'AL', 16: 'AL' }));
    expect(msa(await client.nextAck(10_000))).toMatchObject({ code: 'CA', controlId: 'DOWN-2' });
    // A third resend (the sender never saw our AA) is a duplicate, not a second copy.
    client.send(adtMessage({ 10: 'DOWN-1' }));
    expect(msa(await client.nextAck(10_000)).code).toBe('AA');
    client.close();

    expect(await testBus.bus.queueDepth(INGEST_QUEUE)).toBe(2);
    const envelopes = await takeEnvelopes(testBus.bus, 2);
    expect(envelopes.map((envelope) => envelope.headers?.controlId).sort()).toEqual(['DOWN-1', 'DOWN-2']);
  });

  it('simpul mllp starts while RabbitMQ is unreachable and answers AE instead of refusing connections', async () => {
    const closedPort = await unusedPort();
    const freePort = await unusedPort();
    const { logger, lines } = captureLogger();
    const config = parseConfig({ mllp: { port: freePort }, bus: { url: `amqp://guest:guest@127.0.0.1:${closedPort}` } });
    const running = await runMllp(config, logger);
    try {
      expect(running.ports.default).toBe(freePort);
      const client = await RawMllpClient.connect(freePort);
      client.send(adtMessage({ 10: 'NOBUS' }));
      const ack = await client.nextAck(10_000);
      expect(msa(ack).code).toBe('AE');
      expect(err(ack)?.code).toBe('207');
      client.close();
      await eventually('the connection attempts are logged', () => lines.some((line) => line.msg.startsWith('RabbitMQ not usable')));
    } finally {
      await running.close();
    }
  });
});

function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
