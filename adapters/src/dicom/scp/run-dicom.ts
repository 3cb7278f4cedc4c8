import type { Logger, SimpulConfig } from '@simpul/infra';
import { startDicomScp } from './dicom-scp.ts';
import { BackgroundIngestBus } from '../../edge/background-ingest-bus.ts';

export interface RunningDicom {
  readonly port: number;
  /** Stop accepting, answer the C-STOREs in progress, close the associations, then the bus. */
  close(): Promise<void>;
}

/** What `simpul dicom` runs: the receiver of `config.dicom`, writing to `config.storage.dir`, publishing to `config.bus`. */
export async function runDicom(config: Pick<SimpulConfig, 'dicom' | 'bus' | 'storage'>, logger: Logger): Promise<RunningDicom> {
  const bus = new BackgroundIngestBus(config.bus.url, logger.child({ part: 'dicom-bus' }), {
    connectionName: 'simpul-dicom',
    whileDown: 'C-STOREs are answered 0xA700',
  });
  let scp;
  try {
    scp = await startDicomScp({ config: config.dicom, storageDir: config.storage.dir, publisher: bus, logger });
  } catch (error) {
    await bus.close();
    throw error;
  }
  return {
    port: scp.port,
    async close() {
      await scp.close();
      await bus.close();
    },
  };
}
