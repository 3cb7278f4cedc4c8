import { z } from 'zod';
import { defineComponent } from './component.ts';
import { positiveIntSchema } from './field-types.ts';

/**
 * The ingest worker (`simpul ingest`): how many messages it works on at once, the duplicate window
 * for resent HL7 messages, its hub client, and the per-source mapping settings. Each entry of
 * `hl7Sources` is validated by the HL7 mapper's own schema when the worker starts (adapters'
 * `hl7SourceMappingSchema`), with errors reported under `ingest.hl7Sources.<name>`.
 */
export const ingestConfigSchema = z
  .strictObject({
    prefetch: positiveIntSchema().default(32),
    duplicateWindowSeconds: positiveIntSchema().default(86_400),
    /** Attempts before a message that keeps failing is dead-lettered (first included). */
    maxAttempts: positiveIntSchema().default(5),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    hl7Sources: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .prefault({});

export type IngestConfig = z.output<typeof ingestConfigSchema>;

export const ingestComponent = defineComponent('ingest', ingestConfigSchema, {
  clientId: 'SIMPUL_INGEST_CLIENT_ID',
  clientSecret: 'SIMPUL_INGEST_CLIENT_SECRET',
});
