import type { SimpulConfig } from '@simpul/infra';
import type { Logger } from 'pino';
import { authCommands } from './auth-commands.ts';
import { botsCommand, replayCommand } from './bots-commands.ts';
import { configCheckCommand } from './config-check.ts';
import { sandboxSatusehatCommand } from './sandbox-commands.ts';
import { dicomCommands } from './dicom-commands.ts';
import { identityRebuildCommand } from './identity.ts';
import { ingestCommand } from './ingest-command.ts';
import { mllpCommand } from './mllp-commands.ts';
import { reindexCommand } from './reindex-command.ts';
import { routesCommands } from './routes-command.ts';
import { hubCommand, startCommand } from './serve.ts';
import { sqlCommand, sqlTestCommand, webhookCommand } from './sql.ts';
import { terminologyCommands } from './terminology-commands.ts';

export interface CommandContext {
  config: SimpulConfig;
  logger: Logger;
  args: string[];
}

export interface Command {
  /** Words that select the command, e.g. `config check`. */
  name: string;
  summary: string;
  usage: string;
  /** Servers log their (redacted) configuration at start. */
  longRunning?: boolean;
  /** The config file named on the command line, if the command takes one. */
  configFile?: (args: string[]) => string | undefined;
  run(context: CommandContext): Promise<number>;
}

const COMMANDS: Command[] = [startCommand, hubCommand, configCheckCommand, sandboxSatusehatCommand, ...terminologyCommands, ingestCommand, mllpCommand, reindexCommand, botsCommand, replayCommand, ...dicomCommands, ...authCommands, identityRebuildCommand, sqlCommand, sqlTestCommand, webhookCommand, ...routesCommands];

export function findCommand(argv: string[]): { command: Command; args: string[] } | undefined {
  for (const command of [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)) {
    const words = command.name.split(' ');
    if (words.every((word, i) => argv[i] === word)) {
      return { command, args: argv.slice(words.length) };
    }
  }
  return undefined;
}

export function commandHelp(): string {
  const lines = COMMANDS.map((c) => `  ${c.usage.padEnd(34)} ${c.summary}`);
  return `simpul: the Simpul integration hub\n\nUsage:\n${lines.join('\n')}\n\nConfiguration: ./simpul.yaml or SIMPUL_CONFIG; environment variables override it (see infra/README.md).\n`;
}
