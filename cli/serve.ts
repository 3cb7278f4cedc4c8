import { runHub } from '@simpul/fhir-hub';
import type { Logger } from 'pino';
import type { Command } from './commands.ts';

/** How long a SIGTERM may take before the process gives up waiting and exits. */
const SHUTDOWN_LIMIT_MS = 20_000;

interface Part {
  name: string;
  close(): Promise<void>;
}

export const hubCommand: Command = {
  name: 'hub',
  summary: 'run the FHIR hub (HTTP on hub.port, default 8103)',
  usage: 'hub',
  longRunning: true,
  async run({ config, logger }) {
    const hub = await runHub(config, logger.child({ part: 'hub' }));
    return untilSignal([{ name: 'hub', close: () => hub.close() }], logger);
  },
};

export const startCommand: Command = {
  name: 'start',
  summary: 'run every part in one process (today: the hub)',
  usage: 'start',
  longRunning: true,
  async run({ config, logger }) {
    const parts: Part[] = [];
    const hub = await runHub(config, logger.child({ part: 'hub' }));
    parts.push({ name: 'hub', close: () => hub.close() });
    logger.info({ fhir: `${hub.url}fhir/R4` }, 'simpul is up');
    return untilSignal(parts, logger);
  },
};

/** Waits for SIGTERM/SIGINT, then closes the parts in reverse order within SHUTDOWN_LIMIT_MS. */
function untilSignal(parts: Part[], logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error(`shutdown took longer than ${SHUTDOWN_LIMIT_MS} ms; exiting anyway`);
        resolve(1);
      }, SHUTDOWN_LIMIT_MS);
      timer.unref();
      (async () => {
        let code = 0;
        for (const part of [...parts].reverse()) {
          try {
            await part.close();
          } catch (err) {
            logger.error({ err, part: part.name }, 'part failed to close cleanly');
            code = 1;
          }
        }
        clearTimeout(timer);
        logger.info('stopped');
        resolve(code);
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
