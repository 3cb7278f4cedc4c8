/**
 * The receiver as its own process for the benchmark (as `simpul dicom` runs it): prints
 * `{"port":N}` when listening and one `{"stored":ms}` line per C-STORE answered.
 * Arguments: <bus url> <storage dir> <max pdu>.
 */
import pino from 'pino';
import { startDicomScp } from '../../adapters/src/dicom/scp/dicom-scp.ts';
import { BackgroundIngestBus } from '../../adapters/src/edge/background-ingest-bus.ts';

const [busUrl, storageDir, maxPdu] = process.argv.slice(2);
const logger = pino({ level: 'warn' });
const bus = new BackgroundIngestBus(busUrl, logger, { connectionName: 'simpul-dicom-bench', whileDown: 'C-STOREs are answered 0xA700' });
while (!bus.ready) await new Promise((resolve) => setTimeout(resolve, 50));
const scp = await startDicomScp({
  config: {
    port: 0,
    host: '127.0.0.1',
    aeTitle: 'SIMPUL',
    allowedCallingAeTitles: [],
    maxPduLength: Number(maxPdu),
    maxAssociations: 32,
    maxInstanceBytes: 4 * 1024 ** 3,
    idleTimeoutSeconds: 60,
    timeZone: 'Asia/Jakarta',
  },
  storageDir,
  publisher: bus,
  logger,
  onStored: (outcome, ms) => process.stdout.write(`${JSON.stringify({ stored: ms, status: outcome.status })}\n`),
});
process.stdout.write(`${JSON.stringify({ port: scp.port })}\n`);
process.once('SIGTERM', () => {
  void scp.close().then(() => bus.close()).then(() => process.exit(0));
});
