import { mllp as mllpEdge } from '@simpul/adapters';
import type { Logger } from 'pino';
import type { Command } from './commands.ts';

/** How long a SIGTERM may take before the process gives up waiting and exits (DESIGN.md: 20 s). */
const SHUTDOWN_LIMIT_MS = 20_000;

export const mllpCommand: Command = {
  name: 'mllp',
  summary: 'run the HL7 v2 MLLP listener(s) (mllp.port, default 2575; mllp.sources for more)',
  usage: 'mllp',
  longRunning: true,
  async run({ config, logger }) {
    const mllp = await mllpEdge.runMllp(config, logger.child({ part: 'mllp' }));
    logger.info({ ports: mllp.ports }, 'simpul mllp is up');
    return closeOnSignal(() => mllp.close(), logger);
  },
};

/** Resolves with the exit code once SIGTERM/SIGINT has closed the listeners (1 if that failed or took too long). */
function closeOnSignal(close: () => Promise<void>, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down: no new connections, answering what was received');
      const timer = setTimeout(() => {
        logger.error(`shutdown took longer than ${SHUTDOWN_LIMIT_MS} ms; exiting anyway`);
        resolve(1);
      }, SHUTDOWN_LIMIT_MS);
      timer.unref();
      close().then(
        () => {
          clearTimeout(timer);
          logger.info('stopped');
          resolve(0);
        },
        (error: unknown) => {
          clearTimeout(timer);
          logger.error({ err: error }, 'the MLLP listener failed to close cleanly');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
