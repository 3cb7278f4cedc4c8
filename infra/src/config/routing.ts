import { z } from 'zod';
import { defineComponent } from './component.ts';
import { aeTitleSchema } from './dicom.ts';
import { expecting } from './expectations.ts';
import { hostSchema, portSchema, positiveIntSchema, urlWithSchemeSchema } from './field-types.ts';

/**
 * `routing:`: where studies and orders go. `destinations` names each receiving system (a PACS, a
 * RIS, the SATUSEHAT platform); `rules` say which resources go to which destinations. Each
 * destination becomes one bot (`route-<name>`) with its own queue, retry schedule and delivery
 * status (a `Task` per resource), so one slow PACS never holds back another.
 */

/** Destination names become bot and queue names (`bot.route-<name>`). */
const DESTINATION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MAX_TIMER_MS = 2_147_483_647;

const timeoutSchema = expecting(z.int().min(100).max(3_600_000), 'a whole number of milliseconds from 100 to 3600000');
const retryDelaysSchema = expecting(
  z.array(z.int().min(1).max(MAX_TIMER_MS)).min(1).max(20),
  'a list of 1 to 20 delays in milliseconds, such as [1000, 10000, 60000]',
);
const hl7NameSchema = expecting(z.string().trim().min(1).max(227).regex(/^[^|^~\\&\r\n]+$/), 'an HL7 name without | ^ ~ \\ & or line breaks');

/** What every destination shares: its delivery policy. */
const deliveryPolicy = {
  description: z.string().max(1000).optional(),
  /** Attempts before the delivery is dead-lettered and its Task marked `failed` (first included). */
  maxAttempts: positiveIntSchema(10_000).default(8),
  retryDelaysMs: retryDelaysSchema.default([5_000, 30_000, 120_000, 600_000, 1_800_000]),
  /** Deliveries to this destination in flight at once. */
  concurrency: positiveIntSchema(100).default(4),
  /** Budget of one whole delivery attempt (all instances of a study, every call). */
  attemptTimeoutMs: timeoutSchema.default(600_000),
};

const pacsDestinationSchema = z.strictObject({
  type: z.literal('pacs'),
  aeTitle: aeTitleSchema,
  host: hostSchema,
  port: portSchema,
  /** Our AE title in the association. */
  callingAeTitle: aeTitleSchema.default('SIMPUL'),
  /** Connect, association and each C-STORE response. */
  timeoutMs: timeoutSchema.default(30_000),
  /** Instances stored in one association before it is released and a new one opened. */
  instancesPerAssociation: positiveIntSchema(100_000).default(500),
  ...deliveryPolicy,
});

const risDestinationSchema = z.strictObject({
  type: z.literal('ris'),
  host: hostSchema,
  port: portSchema,
  messageType: z.enum(['ORM^O01', 'OMI^O23']).default('ORM^O01'),
  /** HL7 version in MSH-12. */
  version: expecting(z.string().regex(/^2\.[3-8](\.\d)?$/), 'an HL7 v2 version from 2.3 to 2.8, such as 2.5.1').default('2.5.1'),
  sendingApplication: hl7NameSchema.default('SIMPUL'),
  sendingFacility: hl7NameSchema.default('SIMPUL'),
  receivingApplication: hl7NameSchema.default('RIS'),
  receivingFacility: hl7NameSchema.default('RIS'),
  /** Identifier system whose value is the placer order number (ORC-2); default: the first identifier. */
  placerOrderSystem: z.string().min(1).optional(),
  /** Identifier system of the patient id sent in PID-3; default: every identifier. */
  patientIdentifierSystem: z.string().min(1).optional(),
  /** Wait for the ACK this long. */
  timeoutMs: timeoutSchema.default(30_000),
  ...deliveryPolicy,
});

const satusehatDestinationSchema = z.strictObject({
  type: z.literal('satusehat'),
  /** `https://api-satusehat-stg.dto.kemkes.go.id/oauth2/v1` (staging) or the production host's. */
  authUrl: urlWithSchemeSchema(['http', 'https']),
  /** `.../fhir-r4/v1` */
  fhirUrl: urlWithSchemeSchema(['http', 'https']),
  /** `.../dicom/v1/dicomWeb/studies`; without it no instances are uploaded. */
  dicomUrl: urlWithSchemeSchema(['http', 'https']).optional(),
  clientId: expecting(z.string().trim().min(1), 'the SATUSEHAT client id (use ${ENV})'),
  clientSecret: expecting(z.string().min(1), 'the SATUSEHAT client secret (use ${ENV})'),
  organizationId: expecting(z.string().trim().regex(/^[A-Za-z0-9-]{1,64}$/), 'the SATUSEHAT organization id, such as 10000004'),
  /** Create the ServiceRequest in SATUSEHAT when none has the study's accession number (the SIMRS usually does). */
  createServiceRequest: z.boolean().default(false),
  /** Per HTTP call; DICOM uploads get `uploadTimeoutMs`. */
  timeoutMs: timeoutSchema.default(30_000),
  uploadTimeoutMs: timeoutSchema.default(120_000),
  /** A `Retry-After` up to this long is waited within the attempt; longer ones go to the retry schedule. */
  maxRetryAfterWaitMs: z.int().min(0).max(300_000).default(30_000),
  /** Re-authenticate this long before the token's `expires_in` runs out. */
  tokenRefreshMarginMs: z.int().min(0).max(3_600_000).default(60_000),
  ...deliveryPolicy,
});

/** `:name` placeholders in a statement: letters, digits and `_`, starting with a letter. */
const STATEMENT_PARAMETER = /(?<![:\w]):([A-Za-z][A-Za-z0-9_]*)/g;

/**
 * Write-back ("direct DB sync"): a parameterised statement run on a hospital database when a resource
 * is routed here, e.g. the SATUSEHAT id of a study into the RIS's table. Parameters are FHIRPath
 * expressions over the routed resource; a parameter without a value skips the write until a later
 * version has one (the id arrives when SATUSEHAT answers).
 */
const sqlDestinationSchema = z
  .strictObject({
    type: z.literal('sql'),
    driver: z.enum(['mysql', 'postgres']),
    /** `mysql://user:pass@host:3306/db` or `postgres://...`; use `${ENV}` for the password. */
    url: urlWithSchemeSchema(['mysql', 'postgres', 'postgresql']),
    /** One statement with `:name` parameters, e.g. `UPDATE orders SET satusehat_id = :remoteId WHERE acsn = :accession`. */
    statement: expecting(z.string().trim().min(1).max(10_000), 'one SQL statement with :name parameters'),
    /** Parameter name → FHIRPath over the routed resource (its first value is used). */
    params: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.string().min(1)).default({}),
    /** The write must change at least this many rows, else it is retried (the row may not exist yet). */
    minRowsAffected: z.int().min(0).default(0),
    timeoutMs: timeoutSchema.default(30_000),
    ...deliveryPolicy,
  })
  .superRefine((destination, ctx) => {
    for (const match of destination.statement.matchAll(STATEMENT_PARAMETER)) {
      if (!(match[1] in destination.params)) {
        ctx.addIssue({ code: 'custom', path: ['params', match[1]], message: `a FHIRPath for :${match[1]}, which the statement uses`, input: undefined });
      }
    }
  });

export const destinationSchema = z.discriminatedUnion('type', [pacsDestinationSchema, risDestinationSchema, satusehatDestinationSchema, sqlDestinationSchema]);

const textOrListSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((value) => (Array.isArray(value) ? value : [value]));
const patternSchema = expecting(
  z.string().refine((text) => {
    try {
      new RegExp(text, 'u');
      return true;
    } catch {
      return false;
    }
  }),
  'a regular expression such as "^RS1-" (matched anywhere unless anchored)',
);

/** Every condition given must hold; within a list, any value matches. Text matches ignore case. */
const whenSchema = z
  .strictObject({
    resourceType: z
      .union([z.enum(['ImagingStudy', 'ServiceRequest']), z.array(z.enum(['ImagingStudy', 'ServiceRequest'])).min(1)])
      .transform((value) => (Array.isArray(value) ? value : [value])),
    /** DICOM modality codes (CT, MR, ...) of the study or the order. */
    modality: textOrListSchema.optional(),
    /** AE title of the modality that sent the study (DICOM). */
    callingAeTitle: textOrListSchema.optional(),
    /** Our AE title the modality sent to (DICOM). */
    calledAeTitle: textOrListSchema.optional(),
    /** MSH-4 of the HL7 message the order came in (HL7). */
    sendingFacility: textOrListSchema.optional(),
    /** Regular expression over the patient's identifiers, each written `system|value`. */
    patientIdentifier: patternSchema.optional(),
    /** Regular expression over the referring physician's (requester's) name or reference. */
    referringPhysician: patternSchema.optional(),
    /** Regular expression over the study description (or the order's code text). */
    studyDescription: patternSchema.optional(),
  });

export const routingRuleSchema = z.strictObject({
  name: expecting(z.string().trim().min(1).max(100), 'a rule name'),
  when: whenSchema,
  sendTo: z.array(z.string().regex(DESTINATION_NAME)).min(1),
  /** Hold a study until no new instance arrived for this many seconds. */
  stableSeconds: z.int().min(0).max(86_400).default(0),
});

export const routingConfigSchema = z
  .strictObject({
    /** The hub client of the route bots (reads resources, writes delivery Tasks and ids learnt from destinations). Default: `bots.clientId`. */
    clientId: expecting(z.string().trim().min(1), 'a non-empty client id').optional(),
    clientSecret: expecting(z.string().min(1), 'a non-empty client secret').optional(),
    destinations: z.record(
      expecting(z.string().regex(DESTINATION_NAME), 'a destination name of lowercase letters, digits, "-" or "_"'),
      destinationSchema,
    ).default({}),
    rules: z.array(routingRuleSchema).default([]),
  })
  .superRefine((routing, ctx) => {
    routing.rules.forEach((rule, index) => {
      rule.sendTo.forEach((name, target) => {
        if (!(name in routing.destinations)) {
          const known = Object.keys(routing.destinations);
          ctx.addIssue({
            code: 'custom',
            path: ['rules', index, 'sendTo', target],
            message: `a destination listed under routing.destinations (${known.length > 0 ? known.join(', ') : 'none is'})`,
            input: name,
          });
        }
      });
    });
  })
  .prefault({});

export type RoutingConfig = z.output<typeof routingConfigSchema>;
export type DestinationConfig = z.output<typeof destinationSchema>;
export type PacsDestinationConfig = z.output<typeof pacsDestinationSchema>;
export type RisDestinationConfig = z.output<typeof risDestinationSchema>;
export type SatusehatDestinationConfig = z.output<typeof satusehatDestinationSchema>;
export type SqlDestinationConfig = z.output<typeof sqlDestinationSchema>;
export { STATEMENT_PARAMETER };
export type RoutingRule = RoutingConfig['rules'][number];
export type RoutingConditions = RoutingRule['when'];

export const routingComponent = defineComponent('routing', routingConfigSchema);
