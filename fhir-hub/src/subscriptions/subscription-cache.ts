import { parseSearchRequest, type SearchRequest } from '@medplum/core';
import type { Subscription } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';

export const SUBSCRIPTIONS_CHANGED_CHANNEL = 'simpul_subscriptions';

export interface ActiveSubscription {
  subscription: Subscription & { id: string };
  criteria: SearchRequest;
  /** Interactions that trigger it: create and update unless the subscription asks for delete too. */
  interactions: Set<'create' | 'update' | 'delete'>;
  /** simpul.deliveries routing key: `rest-hook`, or the bot's name for a `Bot/<id>` endpoint. */
  routingKey: string;
}

const SUPPORTED_INTERACTION_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction';

/**
 * Active Subscriptions by resource type, read from the database and reloaded whenever any replica
 * writes a Subscription or Bot (NOTIFY on commit), so evaluation at write time needs no query.
 */
export class SubscriptionCache {
  private byType = new Map<string, ActiveSubscription[]>();
  private readonly sql: Sql;
  private readonly logger: Logger;
  private unlisten: (() => Promise<void>) | undefined;
  private reloading: Promise<void> | undefined;

  constructor(sql: Sql, logger: Logger) {
    this.sql = sql;
    this.logger = logger;
  }

  async start(): Promise<void> {
    const listener = await this.sql.listen(SUBSCRIPTIONS_CHANGED_CHANNEL, () => {
      this.reload().catch((err: unknown) => this.logger.error({ err }, 'reloading subscriptions failed'));
    });
    this.unlisten = () => listener.unlisten();
    await this.reload();
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => undefined);
  }

  forType(resourceType: string): ActiveSubscription[] {
    return this.byType.get(resourceType) ?? [];
  }

  async reload(): Promise<void> {
    if (this.reloading) return this.reloading;
    this.reloading = (async () => {
      const rows = await this.sql<{ resource_type: string; content: string }[]>`
        SELECT resource_type, content FROM resource
        WHERE resource_type IN ('Subscription', 'Bot') AND NOT deleted`;
      const botNames = new Map<string, string>();
      for (const row of rows) {
        if (row.resource_type !== 'Bot') continue;
        const bot = JSON.parse(row.content) as { id: string; name?: string };
        botNames.set(bot.id, bot.name ?? bot.id);
      }
      const next = new Map<string, ActiveSubscription[]>();
      for (const row of rows) {
        if (row.resource_type !== 'Subscription') continue;
        const active = toActiveSubscription(JSON.parse(row.content) as Subscription & { id: string }, botNames, this.logger);
        if (!active) continue;
        const list = next.get(active.criteria.resourceType) ?? [];
        list.push(active);
        next.set(active.criteria.resourceType, list);
      }
      this.byType = next;
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }
}

function toActiveSubscription(
  subscription: Subscription & { id: string },
  botNames: Map<string, string>,
  logger: Logger,
): ActiveSubscription | undefined {
  if (subscription.status !== 'active' || !subscription.criteria) return undefined;
  const channel = subscription.channel;
  let routingKey: string;
  if (channel?.type === 'rest-hook' && channel.endpoint?.startsWith('Bot/')) {
    const botId = channel.endpoint.slice(4);
    routingKey = botNames.get(botId) ?? botId;
  } else if (channel?.type === 'rest-hook' && channel.endpoint) {
    routingKey = 'rest-hook';
  } else {
    return undefined;
  }
  let criteria: SearchRequest;
  try {
    criteria = parseSearchRequest(subscription.criteria);
  } catch (err) {
    logger.warn({ err, subscription: subscription.id }, 'stored Subscription has criteria that no longer parse; skipped');
    return undefined;
  }
  const requested = (subscription.extension ?? [])
    .filter((e) => e.url === SUPPORTED_INTERACTION_URL && e.valueCode)
    .map((e) => e.valueCode as 'create' | 'update' | 'delete');
  const interactions = new Set<'create' | 'update' | 'delete'>(requested.length > 0 ? requested : ['create', 'update']);
  return { subscription, criteria, interactions, routingKey };
}
