import { Bus, EXCHANGES, type Envelope } from '@simpul/infra';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import { OutboxRelay } from './relay-outbox.ts';

export interface RunningRelay {
  relay: OutboxRelay;
  /** Present once connected; the relay keeps the outbox until then. */
  bus(): Bus | undefined;
  close(): Promise<void>;
}

/**
 * Connects to RabbitMQ in the background (the hub keeps accepting writes while the bus is down:
 * they wait in the outbox), declares the exchanges the hub publishes to, and runs the relay.
 */
export function startOutboxRelay(sql: Sql, busUrl: string, logger: Logger): RunningRelay {
  let bus: Bus | undefined;
  let stopped = false;
  const publish = async (exchange: string, routingKey: string, envelope: Envelope): Promise<void> => {
    if (!bus) throw new Error('the bus is not connected yet');
    // Events may have no listener; a delivery nobody stores must not be marked sent.
    await bus.publish(exchange, routingKey, envelope, { mandatory: exchange !== EXCHANGES.events });
  };
  const relay = new OutboxRelay({ sql, publish, logger });
  const connecting = (async () => {
    let delay = 1000;
    while (!stopped && !bus) {
      try {
        const connected = await Bus.connect(busUrl, { logger, connectionName: 'simpul-hub-relay' });
        await connected.declare({
          exchanges: [
            { name: EXCHANGES.events, type: 'topic' },
            { name: EXCHANGES.deliveries, type: 'direct' },
          ],
          queues: [],
        });
        bus = connected;
        if (stopped) await connected.close();
      } catch (err) {
        logger.warn({ err: (err as Error).message, retryInMs: delay }, 'RabbitMQ unreachable; writes are kept in the outbox');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 30_000);
      }
    }
  })();
  relay.start().catch((err: unknown) => logger.error({ err }, 'outbox relay failed to start'));
  return {
    relay,
    bus: () => bus,
    async close() {
      stopped = true;
      await relay.stop();
      await connecting;
      await bus?.close();
    },
  };
}
