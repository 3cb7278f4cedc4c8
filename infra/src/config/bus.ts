import { z } from 'zod';
import { defineComponent } from './component.ts';
import { positiveIntSchema, urlWithSchemeSchema } from './field-types.ts';

export const busConfigSchema = z
  .strictObject({
    /**
     * RabbitMQ (`amqp://u:p@host:5672/vhost`, the vhost in the path is honoured), or a PostgreSQL URL
     * for the database bus. Absent = the database bus on `database.url` (filled in by the schema).
     */
    url: urlWithSchemeSchema(['amqp', 'amqps', 'postgres', 'postgresql']).optional(),
    /** Unacknowledged deliveries per consumer; AMQP caps it at 65535, and 0 (unbounded) is refused. */
    prefetch: positiveIntSchema(65_535).default(32),
  })
  .prefault({});

export type BusConfig = Omit<z.output<typeof busConfigSchema>, 'url'> & {
  /** RabbitMQ (`amqp://`) or the database bus (`postgres://`). */
  url: string;
};

export const busComponent = defineComponent('bus', busConfigSchema, { url: 'AMQP_URL' });
