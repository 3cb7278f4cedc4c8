import { EMBEDDED_DATABASE_URL } from '../config/database.ts';
import { redactUrlCredentials } from '../config/redact.ts';
import { RabbitBus } from './bus.ts';
import { DbBus } from './db/db-bus.ts';
import { BusError } from './errors.ts';
import type { BusOptions, MessageBus } from './message-bus.ts';

/** What every part holds: the bus contract, whichever broker keeps it. */
export type Bus = MessageBus;

/**
 * `Bus.connect(url)`: RabbitMQ for `amqp://` / `amqps://` (a vhost in the path is honoured), the
 * database bus for `postgres://` / `postgresql://`. Rejects with CONNECT_FAILED when the broker or
 * database cannot be reached within `connectTimeoutMs`.
 */
export const Bus = {
  async connect(url: string, options: BusOptions = {}): Promise<Bus> {
    const scheme = typeof url === 'string' ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase() : undefined;
    if (scheme === 'amqp' || scheme === 'amqps') return RabbitBus.connect(url, options);
    if (scheme === 'postgres' || scheme === 'postgresql') {
      if (url === EMBEDDED_DATABASE_URL) {
        throw new BusError(
          'INVALID_ARGUMENT',
          'the bus runs on the embedded PostgreSQL (no bus.url and no database.url configured), which this process has not started: run `simpul start`, or set database.url (DATABASE_URL) or bus.url (AMQP_URL)',
        );
      }
      return DbBus.connect(url, options);
    }
    throw new BusError(
      'INVALID_ARGUMENT',
      `the bus URL must start with amqp:// or amqps:// (RabbitMQ) or postgres:// (the database bus), got ${JSON.stringify(redactUrlCredentials(String(url)))}`,
    );
  },
};
