import { runHub } from '@simpul/fhir-hub';
import type { Command } from './commands.ts';
import { untilSignal, type Part } from './until-signal.ts';

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
