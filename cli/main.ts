import { ConfigError, createLogger, loadConfig, redactConfig, type SimpulConfig } from '@simpul/infra';
import { commandHelp, findCommand, type CommandContext } from './commands.ts';

/** Entry point of the `simpul` CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const found = findCommand(argv);
  if (!found) {
    process.stdout.write(commandHelp());
    return argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' ? 0 : 2;
  }
  const { command, args } = found;
  let config: SimpulConfig;
  try {
    config = await loadConfig(command.configFile ? { file: command.configFile(args) } : {});
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.format()}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level, name: 'simpul', pretty: config.log.pretty });
  const context: CommandContext = { config, logger, args };
  if (command.longRunning) {
    logger.info({ config: redactConfig(config) }, `simpul ${command.name} starting`);
  }
  try {
    return await command.run(context);
  } catch (err) {
    logger.error({ err }, `simpul ${command.name} failed: ${(err as Error).message}`);
    return 1;
  }
}
