import { EXCHANGES, botQueueName, workQueueSpecs } from '@simpul/infra';
import type { Topology } from '@simpul/infra';
import { AUDIT_QUEUE, AUDIT_RETRY_DELAYS_MS } from './audit-queue.ts';

export interface DeliveryQueue {
  /** Routing key on `simpul.deliveries`: the bot's name, or `rest-hook`. */
  name: string;
  retryDelaysMs: readonly number[];
}

/**
 * What the runtime declares: `simpul.deliveries` and, per bot, `bot.<name>` bound with the bot's
 * name, its `.retry.<n>` TTL queues (its own `retryDelaysMs`) and `.dead`; and `bots.audit`
 * (with its retry and dead queues) for the delivery AuditEvents. Declared before the
 * bots are registered, so the first delivery of a new Subscription already has a queue. A TTL
 * cannot change on an existing queue: changing a bot's `retryDelaysMs` means deleting its
 * `bot.<name>.retry.<n>` queues (empty them first) before the next start.
 */
export function deliveryTopology(queues: readonly DeliveryQueue[]): Topology {
  return {
    exchanges: [{ name: EXCHANGES.deliveries, type: 'direct' }],
    queues: [
      ...queues.flatMap((queue) =>
        workQueueSpecs(botQueueName(queue.name), {
          bindings: [{ exchange: EXCHANGES.deliveries, routingKey: queue.name }],
          retryDelaysMs: queue.retryDelaysMs,
        }),
      ),
      ...workQueueSpecs(AUDIT_QUEUE, { retryDelaysMs: AUDIT_RETRY_DELAYS_MS }),
    ],
  };
}
