import { z } from 'zod';
import { defineComponent } from './component.ts';
import { positiveIntSchema, urlWithSchemeSchema } from './field-types.ts';

export const databaseConfigSchema = z
  .strictObject({
    url: urlWithSchemeSchema(['postgres', 'postgresql']).default('postgres://localhost:5432/simpul'),
    maxConnections: positiveIntSchema(10_000).default(20),
  })
  .prefault({});

export type DatabaseConfig = z.output<typeof databaseConfigSchema>;

export const databaseComponent = defineComponent('database', databaseConfigSchema, { url: 'DATABASE_URL' });
