import { parseArgs } from 'node:util';
import { OperationOutcomeError, normalizeErrorString } from '@medplum/core';
import { deadLetterQueueOf, startBotRuntime } from '@simpul/bots';
import { Bus, type DeadLetter } from '@simpul/infra';
import type { Command } from './commands.ts';
import { untilSignal } from './until-signal.ts';

export const botsCommand: Command = {
  name: 'bots',
  summary: 'run the bot runtime: the bots in bots.list and rest-hook Subscription delivery',
  usage: 'bots',
  longRunning: true,
  async run({ config, logger }) {
    const runtime = await startBotRuntime({ config, logger: logger.child({ part: 'bots' }) });
    return untilSignal([{ name: 'bot runtime', close: () => runtime.close() }], logger);
  },
};

export interface ReplayRequest {
  /** The dead-letter queue, e.g. `bot.pacs.dead`. */
  queue: string;
  /** Envelope ids to replay; absent with `all` false means "list only". */
  ids?: string[];
  all: boolean;
  limit: number;
}

const REPLAY_USAGE = 'replay --queue bot.<name>[.dead] [--id <envelope id>]... [--all] [--limit N]';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'list a dead-letter queue, or move deliveries back to work (same idempotency key)',
  usage: REPLAY_USAGE,
  async run({ config, args }) {
    const request = parseReplayArgs(args);
    if (typeof request === 'string') {
      process.stderr.write(`simpul replay: ${request}\nUsage: simpul ${REPLAY_USAGE}\n`);
      return 2;
    }
    const bus = await Bus.connect(config.bus.url, { connectionName: 'simpul-replay' });
    try {
      if (!request.all && !request.ids) {
        const letters = await bus.listDead(request.queue, { limit: request.limit });
        process.stdout.write(formatDeadLetters(request.queue, letters));
        return 0;
      }
      const replayed = await bus.replayDead(request.queue, { ids: request.all ? 'all' : request.ids });
      process.stdout.write(`replayed ${replayed} delivery(ies) from ${request.queue}\n`);
      if (request.ids && replayed < request.ids.length) {
        process.stderr.write(`${request.ids.length - replayed} of the ids given were not in ${request.queue}\n`);
        return 1;
      }
      return 0;
    } finally {
      await bus.close();
    }
  },
};

/** The request, or what is wrong with the arguments. */
export function parseReplayArgs(args: string[]): ReplayRequest | string {
  let values: { queue?: string; id?: string[]; all?: boolean; limit?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { queue: { type: 'string' }, id: { type: 'string', multiple: true }, all: { type: 'boolean' }, limit: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return (error as Error).message;
  }
  if (!values.queue) return '--queue is required';
  let queue: string;
  try {
    queue = deadLetterQueueOf(values.queue);
  } catch (error) {
    return error instanceof OperationOutcomeError ? normalizeErrorString(error) : (error as Error).message;
  }
  if (values.all && values.id) return 'give --id or --all, not both';
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) return '--limit must be a whole number from 1 to 10000';
  if (values.id?.some((id) => id.length === 0 || id.length > 200)) return '--id must be an envelope id';
  return { queue, ...(values.id ? { ids: values.id } : {}), all: values.all === true, limit };
}

export function formatDeadLetters(queue: string, letters: DeadLetter[]): string {
  if (letters.length === 0) return `${queue} is empty\n`;
  const lines = letters.map((letter) => {
    const error = letter.lastError.replace(/\s+/g, ' ').slice(0, 160);
    return `${letter.id ?? '(no id)'}  ${letter.deadAt}  ${letter.reason}  attempts=${letter.attempts} replays=${letter.replays}  ${error}`;
  });
  return `${lines.join('\n')}\n${letters.length} in ${queue}; replay with --id <id> or --all\n`;
}
