import type { Logger } from 'pino';

/** How long a SIGTERM may take before the process gives up waiting and exits. */
export const SHUTDOWN_LIMIT_MS = 20_000;

export interface Part {
  name: string;
  close(): Promise<void>;
}

/**
 * Waits for SIGTERM/SIGINT, then closes the parts in reverse start order (stop accepting, finish
 * in-flight work, close connections) within SHUTDOWN_LIMIT_MS. Resolves to the exit code.
 */
export function untilSignal(parts: Part[], logger: Logger): Promise<number> {
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
