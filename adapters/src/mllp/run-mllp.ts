import type { Logger, SimpulConfig } from '@simpul/infra';
import { BackgroundIngestBus } from '../edge/background-ingest-bus.ts';
import { startMllpListeners } from './mllp-listener.ts';

export interface RunningMllp {
  /** Source name → port. */
  ports: Record<string, number>;
  /** Stop accepting, answer what was received, close the connections, then the bus. */
  close(): Promise<void>;
}

/** What `simpul mllp` runs: the listeners of `config.mllp` publishing to the bus of `config.bus`. */
export async function runMllp(config: Pick<SimpulConfig, 'mllp' | 'bus'>, logger: Logger): Promise<RunningMllp> {
  const bus = new BackgroundIngestBus(config.bus.url, logger.child({ part: 'mllp-bus' }), {
    connectionName: 'simpul-mllp',
    whileDown: 'MLLP senders get AE/CE',
  });
  let listeners;
  try {
    listeners = await startMllpListeners(config.mllp, { bus, logger });
  } catch (error) {
    await bus.close();
    throw error;
  }
  return {
    ports: listeners.ports,
    async close() {
      await listeners.close();
      await bus.close();
    },
  };
}
