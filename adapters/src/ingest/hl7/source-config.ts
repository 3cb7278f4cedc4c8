import { z } from 'zod';
import { FIELD_PATH_PATTERN } from './segment-view.ts';
import { isKnownTimeZone } from './v2-datetime.ts';

/** Identifier systems Indonesia defines once for everybody; a source's config may override them. */
export const NIK_SYSTEM = 'https://fhir.kemkes.go.id/id/nik';
export const IHS_NUMBER_SYSTEM = 'https://fhir.kemkes.go.id/id/ihs-number';
const BUILT_IN_AUTHORITIES: Record<string, string> = { NIK: NIK_SYSTEM, IHS: IHS_NUMBER_SYSTEM };
const BUILT_IN_TYPE_SYSTEMS: Record<string, string> = { NNIDN: NIK_SYSTEM };

const uriSchema = z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i, 'an absolute URI such as https://rsud.example/id/mrn');

const fieldPathSchema = z.string().regex(FIELD_PATH_PATTERN, 'an HL7 field reference such as OBR-18 or ZDS-1.1');

const mappedCodeSchema = z.union([z.string().min(1), z.strictObject({ code: z.string().min(1), display: z.string().optional() })]);

/** One hospital code map: codes of `source` (a code system URI) → codes of `target`. */
export const codeMapSchema = z.strictObject({
  source: uriSchema,
  target: uriSchema,
  codes: z.record(z.string(), mappedCodeSchema),
});

const identifierSystemsSchema = z
  .strictObject({
    visit: uriSchema,
    placerOrder: uriSchema,
    fillerOrder: uriSchema,
    appointment: uriSchema,
    placerAppointment: uriSchema,
    practitioner: uriSchema,
    location: uriSchema,
    observation: uriSchema,
    relatedPerson: uriSchema,
    allergy: uriSchema,
    condition: uriSchema,
  })
  .partial();

/**
 * How one HL7 v2 source maps to FHIR. Everything hospital-specific lives here, not in code.
 * Identifier systems not given are derived from `organizationId` (SATUSEHAT's
 * `http://sys-ids.kemkes.go.id/<kind>/<org>` where SATUSEHAT defines one) or from
 * `defaultIdentifierSystem`.
 */
export const hl7SourceMappingSchema = z.strictObject({
  /** SATUSEHAT organization id of the facility (also names per-facility identifier systems). */
  organizationId: z.string().min(1),
  /** Human name of the facility, used in displays. */
  facility: z.string().min(1).optional(),
  /** System for patient identifiers that carry no assigning authority; base for derived systems. */
  defaultIdentifierSystem: uriSchema,
  /**
   * HL7 assigning authority (CX-4.1, or CX-4.2 universal id) → identifier system URI for patient
   * identifiers. `AUTHORITY^TYPE` keys (`RSUD^VN`, `RSUD^PN`) name the system of other identifiers
   * that authority assigns: visit numbers, staff numbers.
   */
  assigningAuthorities: z.record(z.string(), uriSchema).default({}),
  /** Identifier type code (CX-5) → system, used when the authority is absent (`NNIDN` → NIK). */
  identifierTypeSystems: z.record(z.string(), uriSchema).default({}),
  /** Identifier type (CX-5) of the PID-3 repetition that is the medical record number. */
  mrnIdentifierType: z.string().min(1).default('MR'),
  /** An authority missing from the map: derive `<defaultIdentifierSystem>/<authority>` (with a warning), or reject the message. */
  unmappedAuthority: z.enum(['derive', 'reject']).default('derive'),
  /** Accession number system; default `http://sys-ids.kemkes.go.id/acsn/<organizationId>`. */
  accessionSystem: uriSchema.optional(),
  /** Where the accession number is read, first non-empty wins (order group first, then the message). */
  accessionFrom: z.array(fieldPathSchema).min(1).default(['IPC-1', 'OBR-18']),
  identifierSystems: identifierSystemsSchema.default({}),
  /** IANA zone for v2 timestamps that carry no offset. */
  timeZone: z.string().refine(isKnownTimeZone, 'an IANA time zone such as Asia/Jakarta').default('Asia/Jakarta'),
  /** v2 coding system names (CE-3/CWE-3, e.g. `99RAD`) → code system URI, beside the HL7 table 0396 names. */
  codingSystems: z.record(z.string(), uriSchema).default({}),
  /** Hospital code maps, consulted before the terminology service. */
  codeMaps: z.array(codeMapSchema).default([]),
});

export type Hl7SourceMapping = z.output<typeof hl7SourceMappingSchema>;
export type Hl7SourceMappingInput = z.input<typeof hl7SourceMappingSchema>;
export type CodeMap = z.output<typeof codeMapSchema>;

/** Every identifier system the mappers use, with the defaults filled in. */
export interface IdentifierSystems {
  readonly visit: string;
  readonly placerOrder: string;
  readonly fillerOrder: string;
  readonly accession: string;
  readonly appointment: string;
  readonly placerAppointment: string;
  readonly practitioner: string;
  readonly location: string;
  readonly observation: string;
  readonly relatedPerson: string;
  readonly allergy: string;
  readonly condition: string;
  /** Base of code systems for local codes that name no coding system. */
  readonly localCodes: string;
}

export function resolveIdentifierSystems(config: Hl7SourceMapping): IdentifierSystems {
  const org = encodeURIComponent(config.organizationId);
  const base = config.defaultIdentifierSystem.replace(/\/+$/, '');
  const kemkes = (kind: string): string => `http://sys-ids.kemkes.go.id/${kind}/${org}`;
  const given = config.identifierSystems;
  return {
    visit: given.visit ?? kemkes('encounter'),
    placerOrder: given.placerOrder ?? kemkes('servicerequest'),
    fillerOrder: given.fillerOrder ?? `${base}/filler-order`,
    accession: config.accessionSystem ?? kemkes('acsn'),
    appointment: given.appointment ?? `${base}/appointment`,
    placerAppointment: given.placerAppointment ?? `${base}/placer-appointment`,
    practitioner: given.practitioner ?? `${base}/practitioner`,
    location: given.location ?? kemkes('location'),
    observation: given.observation ?? kemkes('observation'),
    relatedPerson: given.relatedPerson ?? `${base}/related-person`,
    allergy: given.allergy ?? `${base}/allergy`,
    condition: given.condition ?? `${base}/condition`,
    localCodes: `${base}/CodeSystem`,
  };
}

/** Assigning authority → system, the built-in national systems under the source's own map. */
export function authoritySystems(config: Hl7SourceMapping): Record<string, string> {
  return { ...BUILT_IN_AUTHORITIES, ...config.assigningAuthorities };
}

/** The national authorities alone: valid for any person's identifier, patient or practitioner. */
export function nationalAuthoritySystems(config: Hl7SourceMapping): Record<string, string> {
  return Object.fromEntries(Object.keys(BUILT_IN_AUTHORITIES).map((name) => [name, config.assigningAuthorities[name] ?? BUILT_IN_AUTHORITIES[name]]));
}

export function identifierTypeSystems(config: Hl7SourceMapping): Record<string, string> {
  return { ...BUILT_IN_TYPE_SYSTEMS, ...config.identifierTypeSystems };
}
