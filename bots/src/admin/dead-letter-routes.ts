import { OperationOutcomeError, getStatus } from '@medplum/core';
import { BusError } from '@simpul/infra';
import type { Bus, DeadLetter } from '@simpul/infra';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { BotsError, botsError, botsErrorStatus, botsOutcome } from '../errors.ts';

/** What the routes need of a bus. */
export type DeadLetterBus = Pick<Bus, 'listDead' | 'replayDead'>;

export interface DeadLetterRoutesOptions {
  bus: DeadLetterBus;
}

export interface DeadLetterList {
  /** The dead-letter queue, e.g. `bot.pacs.dead`. */
  queue: string;
  count: number;
  /** Oldest first; each keeps its envelope (id = idempotency key), reason, last error, attempts, replays. */
  items: DeadLetter[];
}

export interface ReplayResult {
  queue: string;
  replayed: number;
}

/** `bot.<name>`, `bots.audit`, `ingest`, optionally with `.dead`. */
const QUEUE = /^(?:bot\.[A-Za-z0-9][A-Za-z0-9_-]{0,99}|bots\.audit|ingest)(?:\.dead)?$/;
const MAX_LIST = 1000;
const MAX_REPLAY_IDS = 1000;

/**
 * The admin API for dead letters (the viewer's "failed deliveries" page and `simpul replay` use the
 * same bus calls). Mount it where admin auth is enforced:
 *   GET  /admin/dead-letters/:queue?limit=100          → DeadLetterList
 *   POST /admin/dead-letters/:queue/replay {ids}|{all}  → ReplayResult
 * `:queue` is a work queue or its dead-letter queue (`bot.pacs` or `bot.pacs.dead`). A replayed
 * delivery goes back to its work queue with the same envelope id, so it runs with the same
 * idempotency key. Listing does not remove anything.
 */
export const deadLetterRoutes: FastifyPluginAsync<DeadLetterRoutesOptions> = async (app: FastifyInstance, options) => {
  const { bus } = options;
  app.setErrorHandler(sendError);

  app.get<{ Params: { queue: string }; Querystring: { limit?: number } }>(
    '/admin/dead-letters/:queue',
    {
      schema: {
        params: { type: 'object', required: ['queue'], properties: { queue: { type: 'string', maxLength: 200 } } },
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_LIST } } },
      },
    },
    async (request): Promise<DeadLetterList> => {
      const queue = deadLetterQueueOf(request.params.queue);
      const items = await busCall(() => bus.listDead(queue, { limit: request.query.limit ?? 100 }), queue);
      return { queue, count: items.length, items };
    },
  );

  app.post<{ Params: { queue: string }; Body: unknown }>(
    '/admin/dead-letters/:queue/replay',
    // The body is checked by hand: Fastify's schema validation coerces ("ids": "all" would become ["all"]).
    { schema: { params: { type: 'object', required: ['queue'], properties: { queue: { type: 'string', maxLength: 200 } } } } },
    async (request): Promise<ReplayResult> => {
      const queue = deadLetterQueueOf(request.params.queue);
      const selection = replaySelection(request.body);
      const replayed = await busCall(() => bus.replayDead(queue, { ids: selection }), queue);
      return { queue, replayed };
    },
  );
};

/** `{ "ids": [...] }` or `{ "all": true }`, nothing else. */
function replaySelection(body: unknown): string[] | 'all' {
  const invalid = (text: string, expression: string) => botsError(BotsError.INVALID_REPLAY, text, expression);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be {"ids": [envelope ids]} or {"all": true}', 'body');
  const { ids, all, ...unknown } = body as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw invalid(`unknown field "${extra[0].slice(0, 50)}": give "ids" or "all"`, extra[0].slice(0, 50));
  if ((ids === undefined) === (all === undefined)) throw invalid('give either "ids": [envelope ids] or "all": true', 'ids');
  if (all !== undefined) {
    if (all !== true) throw invalid('"all" must be true', 'all');
    return 'all';
  }
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_REPLAY_IDS) throw invalid(`"ids" must be a list of 1 to ${MAX_REPLAY_IDS} envelope ids`, 'ids');
  ids.forEach((id, index) => {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw invalid(`ids[${index}] must be an envelope id (text of 1 to 200 characters)`, `ids[${index}]`);
  });
  return ids as string[];
}

/** `bot.pacs` or `bot.pacs.dead` → `bot.pacs.dead`; anything that is not a delivery queue is refused (SIMPUL-BOTS-001). */
export function deadLetterQueueOf(queue: string): string {
  if (!QUEUE.test(queue)) {
    throw botsError(BotsError.INVALID_QUEUE, `"${queue.slice(0, 200)}" is not a delivery queue: use bot.<name>, bots.audit or ingest, or either with .dead`, 'queue');
  }
  return queue.endsWith('.dead') ? queue : `${queue}.dead`;
}

/** Bus failures become outcomes an operator can act on; anything else stays a 500. */
async function busCall<T>(call: () => Promise<T>, queue: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof BusError)) throw error;
    if (error.code === 'QUEUE_NOT_FOUND') throw botsError(BotsError.QUEUE_NOT_FOUND, `${queue} does not exist (no bot of that name has run)`, 'queue');
    if (error.code === 'INVALID_ARGUMENT') throw botsError(BotsError.INVALID_QUEUE, error.message, 'queue');
    throw botsError(BotsError.BUS_UNAVAILABLE, `RabbitMQ could not be used: ${error.code}`);
  }
}

async function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (error instanceof OperationOutcomeError) {
    const status = botsErrorStatus(error.outcome) ?? getStatus(error.outcome);
    await reply.status(status).type('application/fhir+json').send(error.outcome);
    return;
  }
  if (error.validation) {
    const where = error.validationContext ?? 'request';
    const kind = where === 'params' ? BotsError.INVALID_QUEUE : BotsError.INVALID_REPLAY;
    await reply.status(400).type('application/fhir+json').send(botsOutcome(kind, `${where}: ${error.message}`));
    return;
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own client errors (a body that is not JSON, a wrong content type): the message names the problem.
    await reply.status(error.statusCode).type('application/fhir+json').send(botsOutcome(BotsError.INVALID_REPLAY, error.message));
    return;
  }
  request.log.error({ err: error }, 'dead-letter admin request failed');
  await reply
    .status(500)
    .type('application/fhir+json')
    .send({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', details: { text: 'Internal server error' } }] });
}

/**
 * The dead-letter API for a process whose bus connects in the background (the hub's outbox relay):
 * until it is connected every call answers 503 (SIMPUL-BOTS-004). Give it to `runHub`'s `adminPlugins`.
 */
export function lazyDeadLetterRoutes(bus: () => DeadLetterBus | undefined): FastifyPluginAsync {
  const connected = (): DeadLetterBus => {
    const current = bus();
    if (!current) throw new BusError('NOT_READY', 'the hub is not connected to RabbitMQ yet');
    return current;
  };
  const lazy: DeadLetterBus = {
    listDead: (queue, options) => connected().listDead(queue, options),
    replayDead: (queue, options) => connected().replayDead(queue, options),
  };
  return (app) => deadLetterRoutes(app, { bus: lazy });
}
