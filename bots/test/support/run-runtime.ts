/**
 * The bot runtime as its own process, for tests that kill it (`SIGKILL`) and start it again:
 * what `simpul bots` does, configured by `SIMPUL_CONFIG`. Prints READY once consuming.
 */
import { createLogger, loadConfig } from '@simpul/infra';
import { startBotRuntime } from '../../src/index.ts';

const config = await loadConfig();
const logger = createLogger({ level: config.log.level, name: 'bots-under-test' });
const runtime = await startBotRuntime({ config, logger, registrationTimeoutMs: 20_000 });
process.stdout.write('READY\n');
process.once('SIGTERM', () => {
  runtime.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'close failed');
      process.exit(1);
    },
  );
});
