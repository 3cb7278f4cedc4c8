/**
 * The ingest worker and the preview worker as one process for the benchmark (as `simpul ingest` and
 * `simpul previews` would run them): prints one `{"linked":...}` line per preview linked.
 * Arguments: <bus url> <hub url> <client id> <client secret> <storage dir>.
 */
import pino from 'pino';
import { Bus } from '@simpul/infra';
import { createV2TableTranslator } from '../../adapters/src/ingest/hl7/index.ts';
import { resolveDicomIngestSettings } from '../../adapters/src/ingest/worker/dicom-ingest-settings.ts';
import { createHubClient, startIngestWorker } from '../../adapters/src/ingest/worker/index.ts';
import { startPreviewWorker } from '../../adapters/src/previews/index.ts';

const [busUrl, hubUrl, clientId, clientSecret, storageDir] = process.argv.slice(2);
const logger = pino({ level: 'warn' });
const bus = await Bus.connect(busUrl, { logger, connectionName: 'bench-workers' });
const hub = await createHubClient({ baseUrl: hubUrl, clientId, clientSecret });
const ingest = await startIngestWorker({
  bus,
  hub,
  logger,
  hl7Sources: {},
  translator: createV2TableTranslator(),
  prefetch: 32,
  maxAttempts: 5,
  duplicateWindowMs: 60_000,
  dicom: resolveDicomIngestSettings({ organizationId: '10000004', issuers: {} }, hubUrl, storageDir),
});
const previews = await startPreviewWorker({
  bus,
  hub,
  storageDir,
  logger,
  prefetch: 8,
  onLinked: (event) =>
    process.stdout.write(`${JSON.stringify({ linked: event.sopInstanceUid, latencyMs: event.linkedAt.getTime() - Date.parse(event.receivedAt), renderMs: event.renderMs })}\n`),
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.once('SIGTERM', () => {
  void previews.close().then(() => ingest.close()).then(() => bus.close()).then(() => process.exit(0));
});
