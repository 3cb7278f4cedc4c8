import { createServer } from 'node:net';
import { Bus, declareTopology, INGEST_QUEUE, parseConfig } from '@simpul/infra';
import type { TestVhost } from '@simpul/infra/testing';
import { createTestVhost } from '@simpul/infra/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { adtMessage, captureLogger, eventually, msa, RawMllpClient } from './mllp-support.ts';
import { runMllp } from '../src/mllp/run-mllp.ts';

let vhost: TestVhost | undefined;

afterEach(async () => {
  await vhost?.remove();
  vhost = undefined;
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

/** Sends one message through `simpul mllp` (runMllp) on a vhost and returns the ACK code once the bus is ready. */
async function sendThroughRunMllp(url: string, controlId: string): Promise<string> {
  const port = await unusedPort();
  const { logger } = captureLogger();
  const running = await runMllp(parseConfig({ mllp: { port }, bus: { url } }), logger);
  try {
    let code = '';
    await eventually(
      'the listener stores a message',
      async () => {
        const client = await RawMllpClient.connect(port);
        client.send(adtMessage({ 10: controlId }));
        code = msa(await client.nextAck(10_000)).code;
        client.close();
        return code === 'AA';
      },
      20_000,
    );
    return code;
  } finally {
    await running.close();
  }
}

describe('runMllp (what simpul mllp runs)', () => {
  it('declares the ingest topology on an empty vhost, so messages are kept before any ingest worker ran', async () => {
    vhost = await createTestVhost('simpul_mllp_run');
    expect(await sendThroughRunMllp(vhost.url, 'RUN1')).toBe('AA');
    const bus = await Bus.connect(vhost.url);
    try {
      expect(await bus.queueDepth(INGEST_QUEUE)).toBe(1);
    } finally {
      await bus.close();
    }
  });

  it("leaves an ingest queue declared with other retry delays alone (the ingest worker's arguments win)", async () => {
    vhost = await createTestVhost('simpul_mllp_run');
    const bus = await Bus.connect(vhost.url);
    try {
      await declareTopology(bus, { bots: [], retryDelaysMs: [500], ingestRetryDelaysMs: [500] });
      expect(await sendThroughRunMllp(vhost.url, 'RUN2')).toBe('AA');
      expect(await bus.queueDepth(INGEST_QUEUE)).toBe(1);
    } finally {
      await bus.close();
    }
  });
});
