import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';
import { positiveIntSchema, urlWithSchemeSchema } from './field-types.ts';

/**
 * `bots:`: the bot runtime (`simpul bots`). Each entry of `list` is one bot: a TypeScript module
 * exporting `handler(medplum, event)` (Medplum's bot shape), its Subscriptions, its own hub client
 * and its delivery policy. `restHook` is the deliverer for Subscriptions whose endpoint is a URL.
 */

/** Bot names become queue names (`bot.<name>`) and the routing key the hub uses, so they are kept plain. */
const BOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
/** `Patient` or `Patient?gender=male`: the hub checks the search itself when the Subscription is written. */
const CRITERIA = /^[A-Z][A-Za-z]+(\?.*)?$/;
/** The queue of Subscriptions with a URL endpoint. */
export const REST_HOOK_QUEUE_NAME = 'rest-hook';
const MAX_TIMER_MS = 2_147_483_647;

const retryDelaysSchema = expecting(
  z.array(z.int().min(1).max(MAX_TIMER_MS)).min(1).max(20),
  'a list of 1 to 20 delays in milliseconds, such as [1000, 10000, 60000]',
);
const timeoutSchema = expecting(z.int().min(1).max(3_600_000), 'a whole number of milliseconds from 1 to 3600000');
const maxAttemptsSchema = positiveIntSchema(10_000);
const concurrencySchema = positiveIntSchema(1_000);

const interactionSchema = z.enum(['create', 'update', 'delete']);

const criteriaSchema = expecting(z.string().trim().regex(CRITERIA), 'a FHIR search such as "Patient" or "ServiceRequest?status=active"');

const subscriptionSchema = expecting(
  z.union([
    criteriaSchema,
    z.strictObject({
      criteria: criteriaSchema,
      /** Default: create and update (Medplum's default). */
      interactions: z.array(interactionSchema).min(1).optional(),
    }),
  ]),
  'a FHIR search such as "Patient", or { criteria, interactions: [create, update, delete] }',
);

const botSchema = z.strictObject({
  name: expecting(
    z.string().regex(BOT_NAME).refine((name) => name !== REST_HOOK_QUEUE_NAME, `"${REST_HOOK_QUEUE_NAME}" is reserved`),
    'a bot name of 1-100 letters, digits, "-" or "_" (not "rest-hook")',
  ),
  /** Path to the bot's module (relative to the working directory). Default: the built-in `bots/src/<name>/index.ts`. */
  module: expecting(z.string().trim().min(1), 'a path to a TypeScript or JavaScript module').optional(),
  description: z.string().max(1000).optional(),
  /** What the bot is subscribed to; each becomes a Subscription with endpoint `Bot/<id>`. */
  subscriptions: z
    .array(subscriptionSchema)
    .default([])
    .transform((list) => list.map((item) => (typeof item === 'string' ? { criteria: item, interactions: undefined } : item))),
  /** The bot's own hub client (client credentials); unauthenticated when absent. */
  clientId: expecting(z.string().trim().min(1), 'a non-empty client id').optional(),
  clientSecret: expecting(z.string().min(1), 'a non-empty client secret').optional(),
  timeoutMs: timeoutSchema.optional(),
  maxAttempts: maxAttemptsSchema.optional(),
  retryDelaysMs: retryDelaysSchema.optional(),
  /** Handlers of this bot running at once. Default: `bus.prefetch`. */
  concurrency: concurrencySchema.optional(),
  /** Reach the handler as `event.secrets[name].valueString`, the way Medplum passes project secrets. */
  secrets: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/), z.string()).default({}),
});

const restHookSchema = z
  .strictObject({
    /** Consume `bot.rest-hook` in this process. */
    enabled: z.boolean().default(true),
    timeoutMs: timeoutSchema.default(10_000),
    maxAttempts: maxAttemptsSchema.default(5),
    retryDelaysMs: retryDelaysSchema.default([1_000, 10_000, 60_000, 300_000]),
    concurrency: concurrencySchema.optional(),
    /** A `Retry-After` up to this long is waited for within the attempt; a longer one falls back to the retry schedule. */
    maxRetryAfterWaitMs: z.int().min(0).max(300_000).default(10_000),
    /** How long a Subscription read from the hub is reused before it is read again. */
    subscriptionCacheMs: z.int().min(0).max(3_600_000).default(5_000),
  })
  .prefault({});

export const botsConfigSchema = z
  .strictObject({
    /** Where bots reach the hub. Default: `hub.baseUrl`. */
    hubUrl: urlWithSchemeSchema(['http', 'https']).optional(),
    /** The runtime's own hub client: registers Bots and Subscriptions, records AuditEvents, marks Subscriptions `error`. */
    clientId: expecting(z.string().trim().min(1), 'a non-empty client id').optional(),
    clientSecret: expecting(z.string().min(1), 'a non-empty client secret').optional(),
    /** Defaults for every bot that does not set its own. */
    timeoutMs: timeoutSchema.default(30_000),
    maxAttempts: maxAttemptsSchema.default(5),
    retryDelaysMs: retryDelaysSchema.default([1_000, 10_000, 60_000, 300_000]),
    list: z
      .array(botSchema)
      .default([])
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((bot, index) => {
          if (seen.has(bot.name)) {
            ctx.addIssue({ code: 'custom', path: [index], message: `a name no other bot has ("${bot.name}" is listed twice)`, input: bot.name });
          }
          seen.add(bot.name);
          requirePair(ctx, bot, [index]);
        });
      }),
    restHook: restHookSchema,
  })
  .superRefine((bots, ctx) => requirePair(ctx, bots, []))
  .prefault({});

/** A client id without its secret (or the reverse) is a half-written setting, reported on the missing one. */
function requirePair(ctx: z.RefinementCtx, client: { clientId?: string; clientSecret?: string }, path: (string | number)[]): void {
  if (client.clientId !== undefined && client.clientSecret === undefined) {
    ctx.addIssue({ code: 'custom', path: [...path, 'clientSecret'], message: 'a client secret to go with clientId', input: undefined });
  } else if (client.clientId === undefined && client.clientSecret !== undefined) {
    ctx.addIssue({ code: 'custom', path: [...path, 'clientId'], message: 'a client id to go with clientSecret', input: undefined });
  }
}

export type BotsConfig = z.output<typeof botsConfigSchema>;
export type BotConfig = BotsConfig['list'][number];
export type RestHookConfig = BotsConfig['restHook'];

export const botsComponent = defineComponent('bots', botsConfigSchema, {
  clientId: 'SIMPUL_BOTS_CLIENT_ID',
  clientSecret: 'SIMPUL_BOTS_CLIENT_SECRET',
  hubUrl: 'SIMPUL_BOTS_HUB_URL',
});
