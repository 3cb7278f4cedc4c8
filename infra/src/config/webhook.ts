import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';
import { byteSizeSchema, hostSchema, portSchema } from './field-types.ts';
import { mappingTemplateSettingSchema, sqlSourceNameSchema } from './sql.ts';

/**
 * The webhook receiver (`simpul webhook`): `POST /ingest/<source>` on its own port. Each source
 * has its own credentials, body format and checks; an accepted body is published to the bus
 * (`webhook.<source>`) and mapped by the ingest worker with the source's `mapping` template.
 * See adapters/README.md "Webhook receiver".
 */

const MiB = 1024 * 1024;

const webhookSourceSchema = z
  .strictObject({
    name: sqlSourceNameSchema,
    /** Shared secret the sender presents as `Authorization: Bearer <secret>` (at least 16 characters; use `${ENV}`). */
    secret: expecting(z.string().min(16), 'a secret of at least 16 characters (use ${ENV_VAR})').optional(),
    /** OAuth2 clients of the hub allowed to post: the sender presents a hub access token (client credentials) whose `client_id` is listed. */
    oauthClientIds: z.array(z.string().min(1)).default([]),
    contentType: expecting(z.enum(['json', 'xml']), 'json or xml').default('json'),
    maxBodyBytes: expecting(
      byteSizeSchema().refine((bytes) => bytes <= 64 * MiB),
      'a size in bytes up to 64 MiB, such as 1048576 or "1 MiB"',
    ).default(1 * MiB),
    /** Dotted paths that must be present and not empty in the parsed body (e.g. `patient.mrn`). */
    requiredFields: z.array(z.string().min(1)).default([]),
    /** A JSON Schema (draft 2020-12 subset zod understands) the parsed body must satisfy. */
    schema: z.record(z.string(), z.unknown()).optional(),
    mapping: mappingTemplateSettingSchema,
  })
  .superRefine((source, ctx) => {
    if (!source.secret && source.oauthClientIds.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['secret'], input: source.secret, message: 'a credential: secret or oauthClientIds' });
    }
  });

export type WebhookSourceConfig = z.output<typeof webhookSourceSchema>;

export const webhookConfigSchema = z
  .strictObject({
    port: portSchema.default(8110),
    host: hostSchema.default('127.0.0.1'),
    sources: z.array(webhookSourceSchema).default([]),
  })
  .superRefine((webhook, ctx) => {
    const seen = new Map<string, number>();
    webhook.sources.forEach((source, index) => {
      const other = seen.get(source.name);
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['sources', index, 'name'], input: source.name, message: `a name no other source uses ("${source.name}" is also sources[${other}])` });
      }
      seen.set(source.name, index);
    });
  })
  .prefault({});

export type WebhookConfig = z.output<typeof webhookConfigSchema>;

export const webhookComponent = defineComponent('webhook', webhookConfigSchema, { port: 'SIMPUL_WEBHOOK_PORT' });
