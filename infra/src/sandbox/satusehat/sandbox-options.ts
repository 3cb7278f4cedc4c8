import { z } from 'zod';

/**
 * What a SATUSEHAT sandbox serves and how it behaves where SATUSEHAT.md marks the platform's
 * behaviour as uncertain ([U]). Every default here is either documented or the sandbox's best guess;
 * the guesses live under `behaviour` so a test can pin the other answer.
 */

const organizationIdSchema = z.string().regex(/^[0-9A-Za-z-]{1,64}$/, 'an Organization id such as 10000004');

export const sandboxOrganizationSchema = z.strictObject({
  /** The SATUSEHAT Organization id (e.g. `10000004`) this client's data must carry. */
  id: organizationIdSchema,
  name: z.string().min(1),
  /** OAuth2 client credentials; a client id serves exactly this one Organization. */
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** `application_name` in the token body; default: a UUID per client, as the platform shows. */
  applicationName: z.string().min(1).optional(),
  /** `developer.email` in the token body. */
  developerEmail: z.string().min(1).default('developer@sandbox.simpul.test'),
});

export const sandboxPatientSchema = z.strictObject({
  /** The IHS number, which is the Patient's id on SATUSEHAT (e.g. `P02478375538`). */
  ihsNumber: z.string().regex(/^[0-9A-Za-z-]{1,64}$/, 'an IHS number such as P02478375538'),
  nik: z.string().regex(/^\d{16}$/, 'a 16-digit NIK'),
  name: z.string().min(1),
  gender: z.enum(['male', 'female', 'other', 'unknown']).default('unknown'),
  birthDate: z.iso.date().optional(),
});

/** Practitioners look the same: their id is the IHS number of the health worker (e.g. `N10000001`). */
export const sandboxPractitionerSchema = sandboxPatientSchema;

export const sandboxBehaviourSchema = z
  .strictObject({
    /** [U] Status for bad client credentials (the docs say 4xx; 401 is the likely one). */
    badCredentialsStatus: z.int().min(400).max(499).default(401),
    /** [U] Body of a 401 for a missing, unknown or expired bearer token. */
    tokenRejectionBody: z.enum(['operation-outcome', 'apigee-fault']).default('operation-outcome'),
    /** [U] Status that carries the "resource cannot be accessed due to business rule" text. */
    businessRuleStatus: z.int().min(400).max(499).default(403),
    /** [U] Status of a `duplicate` OperationOutcome (ImagingStudy or Encounter sent twice). */
    duplicateStatus: z.int().min(400).max(499).default(400),
    /** [U] Status when every uploaded instance already existed (the router only reads the text). */
    duplicateInstanceStatus: z.union([z.literal(200), z.literal(409)]).default(409),
    /** [D] Dates and dateTimes before this are refused. */
    minimumDate: z.iso.date().default('2014-06-03'),
    /** [U] Whether a repeated ImagingStudy (same study UID or accession) is refused as `duplicate`. */
    rejectDuplicateImagingStudy: z.boolean().default(true),
    /** [D] Whether an Encounter resent with the same values is refused as `duplicate`. */
    rejectDuplicateEncounter: z.boolean().default(true),
    /** [U] Whether reading another Organization's resource is refused like writing it is. Default: reads are open. */
    restrictReadsToOwnOrganization: z.boolean().default(false),
  })
  .prefault({});

const DEFAULT_ORGANIZATION = {
  id: '10000004',
  name: 'RS Sandbox Simpul',
  clientId: 'simpul-sandbox-client',
  clientSecret: 'simpul-sandbox-secret',
};

/** Example people from SATUSEHAT's public documentation (not real patients). */
const DEFAULT_PATIENTS = [
  { ihsNumber: 'P02478375538', nik: '9271060312000001', name: 'Ardianto Putra', gender: 'male' as const, birthDate: '1992-01-09' },
  { ihsNumber: 'P03647103112', nik: '9204014804000002', name: 'Claudia Sintia', gender: 'female' as const, birthDate: '1989-11-03' },
];

const DEFAULT_PRACTITIONERS = [
  { ihsNumber: 'N10000001', nik: '7209061211900001', name: 'Dokter Bronsig', gender: 'male' as const, birthDate: '1994-01-01' },
  { ihsNumber: 'N10000002', nik: '3322071302900002', name: 'Dokter Radiologi', gender: 'female' as const, birthDate: '1988-02-13' },
];

const MiB = 1024 * 1024;

export const satusehatSandboxOptionsSchema = z
  .strictObject({
    organizations: z.array(sandboxOrganizationSchema).min(1).default([DEFAULT_ORGANIZATION].map((o) => sandboxOrganizationSchema.parse(o))),
    patients: z.array(sandboxPatientSchema).default(DEFAULT_PATIENTS),
    practitioners: z.array(sandboxPractitionerSchema).default(DEFAULT_PRACTITIONERS),
    /** Token lifetime; the token body's `expires_in` is this number as a string (docs: "3599"). */
    tokenTtlSeconds: z.int().min(1).default(3599),
    /** `organization_name` in the token body: the platform's gateway organisation, not the hospital. */
    gatewayOrganizationName: z.string().default('ihs-prod-1'),
    /** `api_product_list_json[0]` in the token body. */
    apiProduct: z.string().default('api-satusehat-stg'),
    /** Base of the links the sandbox writes (`fullUrl`, `Location`); default: from the request's Host. */
    publicBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
    maxJsonBytes: z.int().min(1).default(16 * MiB),
    maxDicomBytes: z.int().min(1).default(512 * MiB),
    behaviour: sandboxBehaviourSchema,
  })
  .superRefine((options, ctx) => {
    const owners = new Map<string, string>();
    for (const [index, org] of options.organizations.entries()) {
      const owner = owners.get(org.clientId);
      if (owner !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['organizations', index, 'clientId'],
          message: `client id ${org.clientId} is listed twice (it already serves Organization ${owner}); a client id serves exactly one Organization`,
        });
      }
      owners.set(org.clientId, org.id);
    }
  });

export type SatusehatSandboxConfig = z.output<typeof satusehatSandboxOptionsSchema>;
export type SatusehatSandboxConfigInput = z.input<typeof satusehatSandboxOptionsSchema>;
export type SandboxOrganization = z.output<typeof sandboxOrganizationSchema>;
export type SandboxPerson = z.output<typeof sandboxPatientSchema>;
export type SandboxBehaviour = z.output<typeof sandboxBehaviourSchema>;
