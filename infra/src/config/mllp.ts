import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';
import { byteSizeSchema, hostSchema, portSchema, positiveIntSchema } from './field-types.ts';

/**
 * The HL7 v2 MLLP listener (`simpul mllp`). Top-level settings are the defaults of every source;
 * each entry of `sources` is one listening socket (its own host and port) with a name that becomes
 * the bus routing key `hl7.<name>`, and may override any default. With no `sources`, one source
 * named `default` listens on `host`:`port`.
 */

const MiB = 1024 * 1024;
const DAY_SECONDS = 86_400;

/** HL7 versions (MSH-12) the edge can accept; `2.5` in a source's list also accepts `2.5.1`. */
export const MLLP_HL7_VERSIONS = ['2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2'] as const;

/** MSH-18 values (HL7 table 0211) the edge decodes; also the choices for a source's default. */
export const MLLP_CHARSETS = ['ASCII', '8859/1', 'UNICODE UTF-8'] as const;
export type MllpCharset = (typeof MLLP_CHARSETS)[number];

/** What the ingest worker maps today (adapters/src/ingest/hl7): the default of `messageTypes`. */
export const MLLP_DEFAULT_MESSAGE_TYPES: readonly string[] = [
  'ADT^A01',
  'ADT^A02',
  'ADT^A03',
  'ADT^A04',
  'ADT^A05',
  'ADT^A08',
  'ADT^A11',
  'ADT^A13',
  'ADT^A28',
  'ADT^A31',
  'ADT^A40',
  'ORM^O01',
  'OMI^O23',
  'ORU^R01',
  'SIU^S12',
  'SIU^S13',
  'SIU^S14',
  'SIU^S15',
];

const sourceNameSchema = expecting(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/),
  'a source name of 1 to 63 letters, digits, "-" or "_" (it becomes the routing key hl7.<name>)',
);

const messageTypePatternSchema = expecting(
  z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^(?:\*|[A-Z0-9]{3}(?:\^(?:\*|[A-Z0-9]{3}))?)$/),
  'a message type such as "ADT^A01", "ADT^*" (any ADT event), "ADT" or "*" (anything)',
);

const versionSchema = expecting(z.enum(MLLP_HL7_VERSIONS), `an HL7 version: one of ${MLLP_HL7_VERSIONS.join(', ')}`);

const charsetSchema = expecting(z.enum(MLLP_CHARSETS), 'a character set named as in MSH-18: "ASCII", "8859/1" or "UNICODE UTF-8"');

const secondsSchema = (max: number) => positiveIntSchema(max);

const maxMessageBytesSchema = expecting(
  byteSizeSchema().refine((bytes) => bytes <= 64 * MiB),
  'a size in bytes up to 64 MiB, such as 10485760 or "10 MiB" (each message is one RabbitMQ message)',
);

const duplicateWindowSchema = expecting(
  z.int().min(0).max(7 * DAY_SECONDS),
  'a whole number of seconds from 0 (no duplicate detection) to 604800 (7 days)',
);

const filePathSchema = expecting(z.string().trim().min(1), 'a file path');

export const mllpTlsConfigSchema = z.strictObject({
  /** PEM certificate chain the listener presents. */
  certFile: filePathSchema,
  /** PEM private key of that certificate. */
  keyFile: filePathSchema,
  /** PEM CA bundle that client certificates must chain to (mutual TLS). */
  caFile: filePathSchema.optional(),
  /** Refuse clients without a certificate signed by `caFile`. */
  requireClientCert: z.boolean().default(false),
});

export type MllpTlsConfig = z.output<typeof mllpTlsConfigSchema>;

/** Settings every source has; at the top level they are the defaults, in a source they override them. */
const sourceSettings = {
  /** Accepted MSH-9 types; anything else gets AR with ERR-3 200 (message type) or 201 (event). */
  messageTypes: z.array(messageTypePatternSchema).min(1),
  /** Accepted MSH-12 versions; anything else gets AR with ERR-3 203. */
  versions: z.array(versionSchema).min(1),
  /** How a message without MSH-18 is decoded. */
  defaultCharset: charsetSchema,
  /** A message from the same sender with the same MSH-10 and content within this window is acknowledged again, not published again. 0 turns it off. */
  duplicateWindowSeconds: duplicateWindowSchema,
  /** A frame larger than this closes the connection (no ACK: its MSH cannot be trusted). */
  maxMessageBytes: maxMessageBytesSchema,
  /** A connection that stops sending in the middle of a frame is closed after this long. */
  idleTimeoutSeconds: secondsSchema(DAY_SECONDS),
  /** A frame must be complete this long after its start byte (slow senders trickling bytes are closed). */
  frameTimeoutSeconds: secondsSchema(DAY_SECONDS),
  /** Open connections on this socket; more are refused. */
  maxConnections: positiveIntSchema(100_000),
  /** Messages of one connection being stored at once (pipelining senders); reading pauses beyond it. */
  maxInFlightPerConnection: positiveIntSchema(10_000),
  tls: mllpTlsConfigSchema,
};

const mllpSourceSchema = z.strictObject({
  name: sourceNameSchema,
  /** Default: `mllp.port` (only one source may use it). */
  port: portSchema.optional(),
  /** Default: `mllp.host`. */
  host: hostSchema.optional(),
  messageTypes: sourceSettings.messageTypes.optional(),
  versions: sourceSettings.versions.optional(),
  defaultCharset: sourceSettings.defaultCharset.optional(),
  duplicateWindowSeconds: sourceSettings.duplicateWindowSeconds.optional(),
  maxMessageBytes: sourceSettings.maxMessageBytes.optional(),
  idleTimeoutSeconds: sourceSettings.idleTimeoutSeconds.optional(),
  frameTimeoutSeconds: sourceSettings.frameTimeoutSeconds.optional(),
  maxConnections: sourceSettings.maxConnections.optional(),
  maxInFlightPerConnection: sourceSettings.maxInFlightPerConnection.optional(),
  tls: sourceSettings.tls.optional(),
});

/** One listening socket, every setting resolved (what `mllp.sources` holds after validation). */
export interface MllpSourceConfig {
  name: string;
  host: string;
  port: number;
  messageTypes: string[];
  versions: string[];
  defaultCharset: MllpCharset;
  duplicateWindowSeconds: number;
  maxMessageBytes: number;
  idleTimeoutSeconds: number;
  frameTimeoutSeconds: number;
  maxConnections: number;
  maxInFlightPerConnection: number;
  tls?: MllpTlsConfig;
}

export const mllpConfigSchema = z
  .strictObject({
    port: portSchema.default(2575),
    host: hostSchema.default('127.0.0.1'),
    messageTypes: sourceSettings.messageTypes.default([...MLLP_DEFAULT_MESSAGE_TYPES]),
    versions: sourceSettings.versions.default([...MLLP_HL7_VERSIONS]),
    defaultCharset: sourceSettings.defaultCharset.default('UNICODE UTF-8'),
    duplicateWindowSeconds: sourceSettings.duplicateWindowSeconds.default(600),
    /** Control ids remembered per listener process for duplicate detection (oldest forgotten first). */
    duplicateCacheEntries: positiveIntSchema(10_000_000).default(100_000),
    maxMessageBytes: sourceSettings.maxMessageBytes.default(10 * MiB),
    idleTimeoutSeconds: sourceSettings.idleTimeoutSeconds.default(30),
    frameTimeoutSeconds: sourceSettings.frameTimeoutSeconds.default(120),
    maxConnections: sourceSettings.maxConnections.default(1000),
    maxInFlightPerConnection: sourceSettings.maxInFlightPerConnection.default(64),
    /** Default TLS for sources that do not set their own. */
    tls: sourceSettings.tls.optional(),
    sources: z.array(mllpSourceSchema).default([]),
  })
  .superRefine((mllp, ctx) => {
    const names = new Map<string, number>();
    const addresses = new Map<string, string>();
    mllp.sources.forEach((source, index) => {
      const sameName = names.get(source.name);
      if (sameName !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['sources', index], input: source, message: `a name no other source uses ("${source.name}" is also sources[${sameName}])` });
      }
      names.set(source.name, index);
      const address = `${source.host ?? mllp.host}:${source.port ?? mllp.port}`;
      const other = addresses.get(address);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index],
          input: source,
          message: `a host and port no other source uses ("${other}" already listens on ${address}; give each source its own port)`,
        });
      }
      addresses.set(address, source.name);
    });
  })
  .transform(({ sources, ...defaults }) => {
    const { duplicateCacheEntries: _entries, ...inherited } = defaults;
    const resolved: MllpSourceConfig[] =
      sources.length === 0 ? [{ name: 'default', ...inherited }] : sources.map((source) => withDefaults(source, inherited));
    return { ...defaults, sources: resolved };
  })
  .prefault({});

type MllpSourceInput = z.output<typeof mllpSourceSchema>;
type SourceDefaults = Omit<MllpSourceConfig, 'name'>;

function withDefaults(source: MllpSourceInput, defaults: SourceDefaults): MllpSourceConfig {
  const resolved: MllpSourceConfig = { name: source.name, ...defaults };
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined) Object.assign(resolved, { [key]: value });
  }
  return resolved;
}

export type MllpConfig = z.output<typeof mllpConfigSchema>;

export const mllpComponent = defineComponent('mllp', mllpConfigSchema, { port: 'SIMPUL_MLLP_PORT' });
