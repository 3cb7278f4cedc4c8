/**
 * The bot runtime as its own process for the benchmark (what `simpul bots` runs), configured by
 * SIMPUL_CONFIG / the environment. Prints READY once consuming; closes on SIGTERM.
 */
import { startBotRuntime } from '@simpul/bots';
import { createLogger, loadConfig } from '@simpul/infra';

const config = await loadConfig();
const logger = createLogger({ level: config.log.level, name: 'bench-bots' });
const runtime = await startBotRuntime({ config, logger });
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
