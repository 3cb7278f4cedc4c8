import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';
import { hostSchema, portSchema, positiveIntSchema } from './field-types.ts';

/**
 * The legacy-database poller (`simpul sql`). Each source reads one query from a legacy database
 * (SQL Server, MySQL/MariaDB or PostgreSQL) in batches ordered by a watermark column plus a
 * tie-breaker key, publishes one bus message per row (`sql.<name>`), and the ingest worker maps
 * each row with the source's `mapping` template. See adapters/README.md "SQL poller".
 */

export const SQL_DRIVERS = ['mssql', 'mysql', 'postgres'] as const;
export type SqlDriver = (typeof SQL_DRIVERS)[number];

/** What `expectedColumns` may say of a column; a value of another type stops the source with a schema-drift error. */
export const SQL_COLUMN_TYPES = ['string', 'number', 'integer', 'boolean', 'timestamp', 'date', 'any'] as const;
export type SqlColumnType = (typeof SQL_COLUMN_TYPES)[number];

export const sqlSourceNameSchema = expecting(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/),
  'a source name of 1 to 63 letters, digits, "-" or "_" (it becomes the routing key sql.<name>)',
);

const columnNameSchema = expecting(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/),
  'a plain column name (letters, digits, "_"; as the query returns it)',
);

const secondsSchema = (max: number) =>
  expecting(z.number().positive().max(max), `a number of seconds above 0 and at most ${max}`);

/** A mapping template: inline (YAML mapping) or the path of a YAML/JSON file. Validated by adapters' template compiler at start. */
export const mappingTemplateSettingSchema = z.union([
  expecting(z.string().trim().min(1), 'the path of a mapping template file (.yaml, .yml or .json)'),
  z.record(z.string(), z.unknown()),
]);

const sqlSourceSchema = z
  .strictObject({
    name: sqlSourceNameSchema,
    driver: expecting(z.enum(SQL_DRIVERS), `a driver: ${SQL_DRIVERS.join(', ')}`),
    /** `mysql://user:pass@host:3306/db`, `postgres://...`, `mssql://user:pass@host:1433/db`; or the separate fields. */
    url: z.string().min(1).optional(),
    host: hostSchema.optional(),
    port: portSchema.optional(),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    database: z.string().min(1).optional(),
    /** SQL Server only: accept a self-signed server certificate (`trustServerCertificate`). */
    trustServerCertificate: z.boolean().default(false),
    /** The row source: a SELECT (joins allowed) without ORDER BY or LIMIT; the poller adds the watermark condition, the order and the batch limit. */
    query: expecting(z.string().trim().min(1), 'a SELECT statement'),
    watermark: z.strictObject({
      /** An increasing column: an updated-at time, a row version, an auto-increment id. */
      column: columnNameSchema,
      /** A unique column breaking ties between rows with the same `column` value (usually the primary key). */
      key: columnNameSchema,
    }),
    batchSize: positiveIntSchema(100_000).default(500),
    intervalSeconds: secondsSchema(86_400).default(30),
    /** One query may take this long; then it is cancelled and retried with backoff. */
    queryTimeoutSeconds: secondsSchema(3_600).default(60),
    backoff: z
      .strictObject({
        initialSeconds: secondsSchema(3_600).default(1),
        maxSeconds: secondsSchema(86_400).default(300),
      })
      .prefault({}),
    mapping: mappingTemplateSettingSchema,
    /** Columns the query must return and their types; a missing column or a value of another type stops the source (schema drift). */
    expectedColumns: z.record(columnNameSchema, expecting(z.enum(SQL_COLUMN_TYPES), `a column type: ${SQL_COLUMN_TYPES.join(', ')}`)).default({}),
  })
  .superRefine((source, ctx) => {
    if (!source.url && !(source.host && source.database)) {
      ctx.addIssue({ code: 'custom', path: ['url'], input: source.url, message: 'a connection: either url, or host and database (with user and password)' });
    }
    if (source.watermark.column === source.watermark.key) {
      ctx.addIssue({ code: 'custom', path: ['watermark', 'key'], input: source.watermark.key, message: 'a tie-breaker column other than watermark.column' });
    }
  });

export type SqlSourceConfig = z.output<typeof sqlSourceSchema>;

export const sqlConfigSchema = z
  .strictObject({
    /** Optional port for `GET /healthz` of `simpul sql` (each source's state: polling, backing off, schema drift). */
    healthPort: portSchema.optional(),
    healthHost: hostSchema.default('127.0.0.1'),
    sources: z.array(sqlSourceSchema).default([]),
  })
  .superRefine((sql, ctx) => {
    const seen = new Map<string, number>();
    sql.sources.forEach((source, index) => {
      const other = seen.get(source.name);
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['sources', index, 'name'], input: source.name, message: `a name no other source uses ("${source.name}" is also sources[${other}])` });
      }
      seen.set(source.name, index);
    });
  })
  .prefault({});

export type SqlConfig = z.output<typeof sqlConfigSchema>;

export const sqlComponent = defineComponent('sql', sqlConfigSchema);
