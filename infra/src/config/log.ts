import { z } from 'zod';
import { defineComponent } from './component.ts';

/** pino's levels, quietest last. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logConfigSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info'),
    /** Human-readable lines instead of JSON (for a terminal, not for log shipping). */
    pretty: z.boolean().default(false),
  })
  .prefault({});

export type LogConfig = z.output<typeof logConfigSchema>;

export const logComponent = defineComponent('log', logConfigSchema, { level: 'SIMPUL_LOG_LEVEL' });
