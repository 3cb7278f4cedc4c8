import { z } from 'zod';
import { defineComponent } from './component.ts';
import { hostSchema, portSchema } from './field-types.ts';

export const mllpConfigSchema = z
  .strictObject({
    port: portSchema.default(2575),
    host: hostSchema.default('127.0.0.1'),
  })
  .prefault({});

export type MllpConfig = z.output<typeof mllpConfigSchema>;

export const mllpComponent = defineComponent('mllp', mllpConfigSchema, { port: 'SIMPUL_MLLP_PORT' });
