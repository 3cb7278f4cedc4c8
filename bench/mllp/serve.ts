/**
 * The server side of bench/mllp, in a process of its own so that its CPU is measured apart from
 * the load generator's. Prints one JSON line `{"port":N}` when ready; stops on SIGTERM.
 *
 *   node bench/mllp/serve.ts echo              raw MLLP echo: an AA for each frame, nothing stored
 *   node bench/mllp/serve.ts simpul <amqpUrl>  Simpul's listener publishing to RabbitMQ with confirms
 */
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { mllp } from '@simpul/adapters';
import { Bus, createLogger, parseConfig } from '@simpul/infra';

const [mode, amqpUrl] = process.argv.slice(2);

async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer({ noDelay: true }, (socket) => {
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let start = 0;
      const acks: string[] = [];
      for (;;) {
        const end = buffered.indexOf(0x1c, start);
        if (end === -1 || end + 1 >= buffered.length) break;
        const header = buffered.toString('latin1', start + 1, Math.min(end, buffered.indexOf(0x0d, start + 1)));
        acks.push(`\x0bMSH|^~\\&|ECHO|BENCH|||20240101||ACK|1|P|2.5.1\rMSA|AA|${header.split('|')[9]}\x1c\r`);
        start = end + 2;
      }
      buffered = buffered.subarray(start);
      if (acks.length > 0) socket.write(acks.join(''), 'latin1');
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function startSimpul(url: string): Promise<{ port: number; close(): Promise<void> }> {
  // The production level (info); lines go to /dev/null (or SIMPUL_BENCH_LOG) so a terminal is not the bottleneck.
  const logger = createLogger({ level: 'info', name: 'mllp-bench', destination: createWriteStream(process.env.SIMPUL_BENCH_LOG ?? '/dev/null') });
  const bus = await Bus.connect(url, { logger, connectionName: 'simpul-mllp-bench' });
  const config = parseConfig({ mllp: { port: 2575 } }).mllp;
  const listeners = await mllp.startMllpListeners({ ...config, sources: config.sources.map((source) => ({ ...source, port: 0 })) }, { bus, logger });
  return {
    port: listeners.ports.default,
    async close() {
      await listeners.close();
      await bus.close();
    },
  };
}

const server = mode === 'echo' ? await startEcho() : await startSimpul(amqpUrl);
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
