import { z } from 'zod';
import { defineComponent } from './component.ts';
import { positiveIntSchema, urlWithSchemeSchema } from './field-types.ts';

export const busConfigSchema = z
  .strictObject({
    /** A vhost in the URL path is honoured (`amqp://u:p@host:5672/simpul`). */
    url: urlWithSchemeSchema(['amqp', 'amqps']).default('amqp://guest:guest@localhost:5672'),
    /** Unacknowledged deliveries per consumer; AMQP caps it at 65535, and 0 (unbounded) is refused. */
    prefetch: positiveIntSchema(65_535).default(32),
  })
  .prefault({});

export type BusConfig = z.output<typeof busConfigSchema>;

export const busComponent = defineComponent('bus', busConfigSchema, { url: 'AMQP_URL' });
