import { createHash } from 'node:crypto';
import { OperationOutcomeError, isGone, isNotFound, normalizeErrorString } from '@medplum/core';
import type { MedplumClient } from '@medplum/core';
import type { Bot, Extension, Reference, Subscription } from '@medplum/fhirtypes';
import type { Logger } from 'pino';

/** Identifies the Bot a runtime manages, by its configured name. */
export const BOT_IDENTIFIER_SYSTEM = 'https://simpul.dev/fhir/NamingSystem/bot-name';
/**
 * Tags the Subscriptions a runtime made from config (R4 Subscription has no identifier): code
 * `<bot>:<hash of criteria and interactions>`.
 */
export const BOT_SUBSCRIPTION_TAG_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/bot-subscription';
const SUPPORTED_INTERACTION_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction';

export interface BotRegistration {
  name: string;
  description?: string;
  timeoutMs: number;
  subscriptions: readonly { criteria: string; interactions?: readonly ('create' | 'update' | 'delete')[] }[];
}

export interface RegisteredBot {
  name: string;
  id: string;
  reference: Reference<Bot>;
  subscriptionIds: string[];
}

/**
 * Makes the hub hold exactly what the config says for each bot, however often it runs and however
 * many runtimes run it at once: a `Bot` (conditional create on its name identifier, updated when
 * it drifted) and one active rest-hook Subscription per configured criteria with endpoint
 * `Bot/<id>` (Medplum's form, so the same resources work on a Medplum server). Subscriptions this
 * runtime made earlier that the config no longer lists are deleted; Subscriptions somebody else
 * pointed at the bot are left alone.
 */
export async function registerBots(medplum: MedplumClient, bots: readonly BotRegistration[], logger: Logger): Promise<RegisteredBot[]> {
  const registered: RegisteredBot[] = [];
  for (const bot of bots) registered.push(await registerBot(medplum, bot, logger));
  return registered;
}

async function registerBot(medplum: MedplumClient, config: BotRegistration, logger: Logger): Promise<RegisteredBot> {
  const wanted: Bot = {
    resourceType: 'Bot',
    identifier: [{ system: BOT_IDENTIFIER_SYSTEM, value: config.name }],
    name: config.name,
    description: config.description ?? `Simpul bot "${config.name}", run by simpul bots`,
    timeout: Math.ceil(config.timeoutMs / 1000),
  };
  let bot = await medplum.createResourceIfNoneExist<Bot>(wanted, `identifier=${BOT_IDENTIFIER_SYSTEM}|${config.name}`);
  if (bot.name !== wanted.name || bot.description !== wanted.description || bot.timeout !== wanted.timeout) {
    bot = await medplum.updateResource<Bot>({ ...bot, name: wanted.name, description: wanted.description, timeout: wanted.timeout });
  }
  const id = bot.id as string;
  const reference: Reference<Bot> = { reference: `Bot/${id}`, display: config.name };

  const desired = new Map(config.subscriptions.map((subscription) => [subscriptionKey(config.name, subscription), subscription]));
  const existing = await medplum.searchResources('Subscription', { _tag: `${BOT_SUBSCRIPTION_TAG_SYSTEM}|`, _count: '1000' });
  const subscriptionIds: string[] = [];
  for (const subscription of existing) {
    const key = subscription.meta?.tag?.find((tag) => tag.system === BOT_SUBSCRIPTION_TAG_SYSTEM)?.code;
    if (!key?.startsWith(`${config.name}:`)) continue;
    const spec = desired.get(key);
    if (!spec) {
      await deleteIfPresent(medplum, subscription.id as string);
      logger.info({ bot: config.name, subscription: subscription.id, criteria: subscription.criteria }, 'removed a bot Subscription the config no longer lists');
      continue;
    }
    desired.delete(key);
    const target = subscriptionResource(config.name, reference, key, spec);
    const current = subscription.status === 'active' && subscription.channel?.endpoint === target.channel.endpoint && subscription.criteria === target.criteria;
    if (!current) await medplum.updateResource<Subscription>({ ...subscription, status: 'active', criteria: target.criteria, channel: target.channel, error: undefined });
    subscriptionIds.push(subscription.id as string);
  }
  for (const [key, spec] of desired) {
    const created = await medplum.createResourceIfNoneExist<Subscription>(
      subscriptionResource(config.name, reference, key, spec),
      `_tag=${BOT_SUBSCRIPTION_TAG_SYSTEM}|${key}`,
    );
    subscriptionIds.push(created.id as string);
  }
  logger.info({ bot: config.name, id, subscriptions: subscriptionIds.length }, 'bot registered');
  return { name: config.name, id, reference, subscriptionIds };
}

/** Stable per (bot, criteria, interactions): a changed criteria is a new Subscription, an unchanged one is found again. */
export function subscriptionKey(bot: string, subscription: BotRegistration['subscriptions'][number]): string {
  const interactions = [...(subscription.interactions ?? ['create', 'update'])].sort().join(',');
  const digest = createHash('sha256').update(`${subscription.criteria}\n${interactions}`).digest('hex').slice(0, 20);
  return `${bot}:${digest}`;
}

function subscriptionResource(
  name: string,
  bot: Reference<Bot>,
  key: string,
  spec: BotRegistration['subscriptions'][number],
): Subscription & { channel: NonNullable<Subscription['channel']> } {
  const extension: Extension[] = (spec.interactions ?? []).map((interaction) => ({ url: SUPPORTED_INTERACTION_URL, valueCode: interaction }));
  return {
    resourceType: 'Subscription',
    meta: { tag: [{ system: BOT_SUBSCRIPTION_TAG_SYSTEM, code: key, display: `bot ${name}` }] },
    status: 'active',
    reason: `Simpul bot "${name}"`,
    criteria: spec.criteria,
    channel: { type: 'rest-hook', endpoint: bot.reference as string, payload: 'application/fhir+json' },
    ...(extension.length > 0 ? { extension } : undefined),
  } as Subscription & { channel: NonNullable<Subscription['channel']> };
}

async function deleteIfPresent(medplum: MedplumClient, id: string): Promise<void> {
  try {
    await medplum.deleteResource('Subscription', id);
  } catch (error) {
    // Another runtime deleted it first: the outcome we wanted.
    if (error instanceof OperationOutcomeError && (isNotFound(error.outcome) || isGone(error.outcome))) return;
    throw new Error(`could not delete Subscription/${id}: ${normalizeErrorString(error)}`, { cause: error });
  }
}
