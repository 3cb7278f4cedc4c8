/**
 * The rest-hook endpoint of bench/subscriptions, in a process of its own so that receipt times
 * are not delayed by the load generator's event loop. Reports each delivery to the parent over
 * IPC: the bench mark of the Patient, and the lag (now minus meta.lastUpdated) taken on arrival.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const MARK = process.argv[2] ?? '';
const send = (message: unknown): void => {
  process.send?.(message);
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = Date.now();
    try {
      const patient = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { meta?: { lastUpdated?: string }; identifier?: { system?: string; value?: string }[] };
      const mark = patient.identifier?.find((identifier) => identifier.system === MARK)?.value ?? '';
      res.writeHead(200).end();
      send({ type: 'receipt', mark, at, lag: at - Date.parse(patient.meta?.lastUpdated ?? '') });
    } catch (error) {
      res.writeHead(400).end();
      send({ type: 'unreadable', error: (error as Error).message });
    }
  });
});
server.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => server.close(() => process.exit(0)));
