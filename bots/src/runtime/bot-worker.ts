/**
 * The worker thread one bot runs in. It loads the bot module, signs in to the hub with the bot's
 * own client, and runs each delivery it is sent through `handler(medplum, event)`.
 *
 * A thread per bot is what keeps bots apart: a bot that spins forever or leaks memory is stopped
 * by terminating its thread (the runtime does that after the timeout), and an uncaught error ends
 * only this thread. Results travel back as plain data, and a value that is not JSON is refused.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { format } from 'node:util';
import type { MedplumClient } from '@medplum/core';
import { PermanentError } from '@simpul/infra';
import type { BotHandler } from './bot-event.ts';
import { botSecrets, buildBotEvent } from './bot-event.ts';
import { HubClient } from './hub-client.ts';
import type { BotWorkerData, FromWorker, ToWorker } from './worker-protocol.ts';
import { resultProblem, thrownText } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('bot-worker.ts runs as a worker thread of the bot runtime');
const data = workerData as BotWorkerData;
const send = (message: FromWorker): void => port.postMessage(message);

forwardConsole();

let handler: BotHandler;
try {
  const loaded = (await import(data.moduleUrl)) as { handler?: unknown; default?: { handler?: unknown } };
  const candidate = loaded.handler ?? loaded.default?.handler;
  if (typeof candidate !== 'function') throw new Error(`${data.moduleUrl} does not export a handler(medplum, event) function`);
  handler = candidate as BotHandler;
} catch (error) {
  send({ type: 'load-failed', error: thrownText(error) });
  throw error;
}

const hub = new HubClient(data.hub);
const secrets = botSecrets(data.secrets);

port.on('message', (message: ToWorker) => {
  if (message.type !== 'invoke') return;
  void run(message);
});
send({ type: 'ready' });

async function run(message: Extract<ToWorker, { type: 'invoke' }>): Promise<void> {
  let result: unknown;
  try {
    const medplum: MedplumClient = await hub.ready();
    result = await handler(medplum, buildBotEvent(message.invocation, data.bot, secrets));
  } catch (error) {
    // PermanentError by name too: a bot may bundle its own copy of @simpul/infra.
    const permanent = error instanceof PermanentError || (error instanceof Error && error.name === 'PermanentError');
    send({ type: 'done', id: message.id, ok: false, code: permanent ? 'threw-permanent' : 'threw', error: thrownText(error) });
    return;
  }
  const problem = resultProblem(result);
  if (problem) {
    send({ type: 'done', id: message.id, ok: false, code: 'not-json', error: `the handler returned ${problem}, which is not JSON data` });
    return;
  }
  send({ type: 'done', id: message.id, ok: true });
}

/** Bot output goes to the runtime's log (with the bot's name) instead of interleaving with its JSON lines. */
function forwardConsole(): void {
  const levels = { debug: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error' } as const;
  for (const [method, level] of Object.entries(levels)) {
    (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) => {
      send({ type: 'log', level, text: format(...args).slice(0, 8000) });
    };
  }
}
