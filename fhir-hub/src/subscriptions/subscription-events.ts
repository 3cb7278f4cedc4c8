import { randomUUID } from 'node:crypto';
import { Operator, matchesSearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { newEnvelope } from '@simpul/infra';
import { enqueueOutbox, type OutboxMessage } from '../outbox/outbox-writer.ts';
import type { WriteEvent, WriteListener } from '../repo/write-events.ts';
import { searchBundle } from '../search/index.ts';
import { currentTraceId } from '../trace-context.ts';
import { SUBSCRIPTIONS_CHANGED_CHANNEL, type ActiveSubscription, type SubscriptionCache } from './subscription-cache.ts';

export const EVENTS_EXCHANGE = 'simpul.events';
export const DELIVERIES_EXCHANGE = 'simpul.deliveries';

/** What a bot or rest-hook deliverer receives in `envelope.body`. */
export interface DeliveryBody {
  subscription: string;
  interaction: 'create' | 'update' | 'delete';
  /** Per the subscription's payload: the full resource, or only resourceType/id/meta (id-only), or absent (empty). */
  resource?: Resource;
  /** The version this delivery is about. */
  versionId: string;
}

/**
 * Turns every committed change into outbox rows in the writing transaction: one `simpul.events`
 * message per change, and one `simpul.deliveries` message per matching active Subscription.
 */
export function createSubscriptionListener(cache: SubscriptionCache): WriteListener {
  return async (event) => {
    const messages: OutboxMessage[] = [resourceEventMessage(event)];
    for (const active of cache.forType(event.resource.resourceType)) {
      if (!active.interactions.has(event.interaction)) continue;
      if (!(await matchesCriteria(event, active))) continue;
      messages.push(deliveryMessage(active, event));
    }
    await enqueueOutbox(event.db, messages);
    if (event.resource.resourceType === 'Subscription' || event.resource.resourceType === 'Bot') {
      await event.db`SELECT pg_notify(${SUBSCRIPTIONS_CHANGED_CHANNEL}, ${event.resource.id})`;
    }
  };
}

/**
 * Criteria are evaluated by the hub's own search over the just-written index rows (same
 * transaction), so a subscription matches exactly what `GET <criteria>&_id=<id>` would find.
 * A deleted resource has no index rows left: its last version is matched in memory instead.
 */
async function matchesCriteria(event: WriteEvent, active: ActiveSubscription): Promise<boolean> {
  const filters = active.criteria.filters ?? [];
  if (filters.length === 0) return true;
  if (event.interaction === 'delete') {
    return matchesSearchRequest(event.previous ?? event.resource, active.criteria);
  }
  const bundle = await searchBundle(event.db, {
    resourceType: active.criteria.resourceType,
    filters: [...filters, { code: '_id', operator: Operator.EQUALS, value: event.resource.id }],
    count: 1,
    total: 'none',
  }, { baseUrl: 'http://localhost/' });
  return (bundle.entry?.length ?? 0) > 0;
}

function versionOf(event: WriteEvent): string {
  return event.versionId ?? event.resource.meta?.versionId ?? '';
}

function resourceEventMessage(event: WriteEvent): OutboxMessage {
  const { resourceType, id } = event.resource;
  return {
    exchange: EVENTS_EXCHANGE,
    routingKey: `${resourceType}.${event.interaction}`,
    envelope: newEnvelope({
      id: randomUUID(),
      kind: 'event',
      source: 'fhir-hub',
      contentType: 'application/fhir+json',
      traceId: currentTraceId(),
      body: {
        interaction: event.interaction,
        resourceType,
        id,
        versionId: versionOf(event),
        ...(event.interaction === 'delete' ? {} : { resource: event.resource }),
      },
    }),
  };
}

function deliveryMessage(active: ActiveSubscription, event: WriteEvent): OutboxMessage {
  const payload = active.subscription.channel?.payload;
  const isBot = active.subscription.channel?.endpoint?.startsWith('Bot/') ?? false;
  const { resourceType, id, meta } = event.resource;
  let resource: Resource | undefined;
  if (isBot || payload === 'application/fhir+json' || payload === 'application/json') {
    resource = event.resource;
  } else if (payload) {
    resource = { resourceType, id, meta } as Resource;
  }
  const body: DeliveryBody = {
    subscription: `Subscription/${active.subscription.id}`,
    interaction: event.interaction,
    versionId: versionOf(event),
    ...(resource ? { resource } : {}),
  };
  return {
    exchange: DELIVERIES_EXCHANGE,
    routingKey: active.routingKey,
    envelope: newEnvelope({
      kind: 'delivery',
      source: `Subscription/${active.subscription.id}`,
      contentType: 'application/fhir+json',
      traceId: currentTraceId(),
      body,
      headers: { subscription: active.subscription.id, resource: `${resourceType}/${id}` },
    }),
  };
}
