import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';
import { portSchema, positiveIntSchema, urlWithSchemeSchema } from './field-types.ts';

/**
 * Stands in for `database.url` when none is configured: the appliance's embedded PostgreSQL,
 * whose real URL (free port, generated password) is known only once `startAppliance` started it.
 * The `.invalid` host never resolves, so code that skips that step fails naming it.
 */
export const EMBEDDED_DATABASE_URL = 'postgres://simpul-embedded-postgres-not-started.invalid/simpul';

export const embeddedDatabaseConfigSchema = z
  .strictObject({
    /** Where the embedded server keeps its cluster, password file and log; relative to the working directory. */
    dir: expecting(z.string().trim().min(1), 'a directory path').default('./data/pg'),
    /** Port on 127.0.0.1; absent = a free port picked at each start. */
    port: portSchema.optional(),
  })
  .prefault({});

export const databaseConfigSchema = z
  .strictObject({
    /** External PostgreSQL. Absent = the embedded one (appliance mode). */
    url: urlWithSchemeSchema(['postgres', 'postgresql']).optional(),
    maxConnections: positiveIntSchema(10_000).default(20),
    embedded: embeddedDatabaseConfigSchema,
  })
  .prefault({})
  .transform(({ url, maxConnections, embedded }) => ({
    url: url ?? EMBEDDED_DATABASE_URL,
    maxConnections,
    /** Set when no `url` was configured: the settings of the embedded server to start. */
    embedded: url === undefined ? embedded : undefined,
  }));

export type DatabaseConfig = z.output<typeof databaseConfigSchema>;
export type EmbeddedDatabaseConfig = z.output<typeof embeddedDatabaseConfigSchema>;

export const databaseComponent = defineComponent('database', databaseConfigSchema, {
  url: 'DATABASE_URL',
  'embedded.dir': 'SIMPUL_PG_DIR',
  'embedded.port': 'SIMPUL_PG_PORT',
});
