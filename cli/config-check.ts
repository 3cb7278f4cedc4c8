import { redactConfig } from '@simpul/infra';
import type { Command } from './commands.ts';

export const configCheckCommand: Command = {
  name: 'config check',
  summary: 'validate a config file and print the effective settings (secrets hidden)',
  usage: 'config check [file]',
  configFile: (args) => args[0],
  async run({ config }) {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\nconfig OK\n`);
    return 0;
  },
};
