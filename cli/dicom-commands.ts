import { parseArgs } from 'node:util';
import { dicomScp, ingestWorker, previews } from '@simpul/adapters';
import { Bus, type SimpulConfig } from '@simpul/infra';
import type { Logger } from 'pino';
import { collectBlobGarbage, hubBlobReferences, type BlobGcReport } from './blob-gc.ts';
import type { Command } from './commands.ts';
import { connectToHub, HUB_CONNECTION_OPTIONS, type HubConnectionValues } from './hub-connection.ts';
import { untilSignal, type Part } from './until-signal.ts';

/** `simpul dicom`: the C-STORE receiver. */
export const dicomCommand: Command = {
  name: 'dicom',
  summary: 'run the DICOM C-STORE receiver (dicom.port, default 11112, AE title dicom.aeTitle)',
  usage: 'dicom',
  longRunning: true,
  async run({ config, logger }) {
    const dicom = await dicomScp.runDicom(config, logger.child({ part: 'dicom' }));
    logger.info({ port: dicom.port, aeTitle: config.dicom.aeTitle }, 'simpul dicom is up');
    return untilSignal([{ name: 'dicom receiver', close: () => dicom.close() }], logger);
  },
};

/** `simpul previews`: JPEG previews of the instances the receiver stores. */
export const previewsCommand: Command = {
  name: 'previews',
  summary: 'run the preview worker: JPEG previews and thumbnails of stored DICOM instances',
  usage: 'previews',
  longRunning: true,
  async run({ config, logger }) {
    return untilSignal(await runPreviews(config, logger), logger);
  },
};

/** The preview worker's parts, for `simpul previews` and `simpul start`. */
export async function runPreviews(config: SimpulConfig, logger: Logger): Promise<Part[]> {
  const log = logger.child({ part: 'previews' });
  const hub = await ingestWorker.createHubClient({
    baseUrl: config.hub.baseUrl,
    clientId: config.ingest.clientId ?? config.admin.clientId,
    clientSecret: config.ingest.clientSecret ?? config.admin.clientSecret,
  });
  const bus = await Bus.connect(config.bus.url, { logger: log, connectionName: 'simpul-previews' });
  const worker = await previews.startPreviewWorker({ bus, hub, storageDir: config.storage.dir, logger: log });
  return [
    { name: 'previews bus', close: () => bus.close() },
    { name: 'preview worker', close: () => worker.close() },
  ];
}

/** `simpul blobs gc [--dry-run]`: reports and removes orphaned files of the blob store. */
export const blobsGcCommand: Command = {
  name: 'blobs gc',
  summary: 'report and remove blob store files nothing refers to (older than storage.retentionDays)',
  usage: 'blobs gc [--dry-run] [--hub URL] [--client-id ID --client-secret SECRET]',
  async run({ config, args }) {
    let values: { 'dry-run'?: boolean } & HubConnectionValues;
    try {
      ({ values } = parseArgs({
        args,
        options: { 'dry-run': { type: 'boolean' }, ...HUB_CONNECTION_OPTIONS },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\nusage: simpul ${this.usage}\n`);
      return 2;
    }
    const client = await connectToHub(config, values);
    const report = await collectBlobGarbage({
      storageDir: config.storage.dir,
      retentionMs: config.storage.retentionDays * 86_400_000,
      dryRun: values['dry-run'] === true,
      hub: hubBlobReferences(client),
    });
    process.stdout.write(formatBlobGcReport(report, config.storage.retentionDays, values['dry-run'] === true));
    return 0;
  },
};

/** For the lead to list in cli/commands.ts. */
export const dicomCommands: Command[] = [dicomCommand, previewsCommand, blobsGcCommand];

export function formatBlobGcReport(report: BlobGcReport, retentionDays: number, dryRun: boolean): string {
  const lines = report.orphans.map(
    (orphan) => `${orphan.removed ? 'removed ' : dryRun ? 'orphan  ' : 'kept    '} ${orphan.path}  ${orphan.bytes} bytes, ${orphan.ageDays} days old: ${orphan.reason}`,
  );
  const removed = report.orphans.filter((orphan) => orphan.removed).length;
  const young = dryRun ? 0 : report.orphans.length - removed;
  lines.push(
    `${report.scanned} file(s) scanned, ${report.orphans.length} orphaned` +
      (dryRun ? ' (dry run: nothing removed)' : `, ${removed} removed (${report.removedBytes} bytes)${young ? `, ${young} younger than ${retentionDays} day(s) kept` : ''}`),
  );
  return `${lines.join('\n')}\n`;
}
