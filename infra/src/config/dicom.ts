import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';
import { byteSizeSchema, hostSchema, portSchema, positiveIntSchema } from './field-types.ts';

/**
 * The DICOM C-STORE receiver (`simpul dicom`) and how the ingest worker maps what it receives
 * (`mapping`). See adapters/README.md "DICOM receiver".
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * DICOM PS3.5 AE value representation: at most 16 characters of the default repertoire
 * (printable ASCII) without backslash; leading and trailing spaces are not significant, so they
 * are trimmed, and an all-space title is refused.
 */
export const aeTitleSchema = expecting(
  z
    .string()
    .trim()
    .min(1)
    .max(16)
    .regex(/^[\x20-\x5B\x5D-\x7E]+$/),
  'an AE title of 1 to 16 printable ASCII characters without a backslash, such as "SIMPUL"',
);

const uriSchema = expecting(z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i), 'an absolute URI such as https://rsud.example/id/mrn');

const timeZoneSchema = expecting(
  z.string().refine((zone) => /^[+-](0\d|1[0-4]):[0-5]\d$/.test(zone) || isIanaTimeZone(zone)),
  'an IANA time zone such as Asia/Jakarta, or an offset such as +07:00',
);

/** How DICOM attributes become FHIR identifiers (the ingest worker's side of `dicom`). */
export const dicomMappingSchema = z.strictObject({
  /** SATUSEHAT organization id: the default systems are derived from it (`http://sys-ids.kemkes.go.id/mrn/<id>`, `.../acsn/<id>`). */
  organizationId: z.string().trim().min(1).optional(),
  /** System of a Patient ID (0010,0020) sent without Issuer of Patient ID (0010,0021). Default: the MRN system of `organizationId`. */
  patientIdSystem: uriSchema.optional(),
  /** Issuer of Patient ID → identifier system (the assigning-authority map). `NIK` is built in. */
  issuers: z.record(z.string(), uriSchema).default({}),
  /** System of Accession Number (0008,0050), the same as the HL7 side's `accessionSystem`. Default: the ACSN system of `organizationId`. */
  accessionSystem: uriSchema.optional(),
});

export const dicomConfigSchema = z
  .strictObject({
    port: portSchema.default(11112),
    aeTitle: aeTitleSchema.default('SIMPUL'),
    /** Interface to listen on; 0.0.0.0 or :: for every interface. */
    host: hostSchema.default('127.0.0.1'),
    /** Calling AE titles allowed to associate; empty lets any modality in. Others are rejected ("calling AE title not recognised"). */
    allowedCallingAeTitles: z.array(aeTitleSchema).default([]),
    /** Largest PDU this receiver accepts (announced in the association); larger PDUs abort the association. */
    maxPduLength: expecting(
      byteSizeSchema().refine((bytes) => bytes >= 4 * KiB && bytes <= 16 * MiB),
      'a size from 4 KiB to 16 MiB, such as 1048576 or "1 MiB"',
    ).default(1 * MiB),
    /** Associations open at once; more are rejected as "local limit exceeded" (transient: the sender retries). */
    maxAssociations: positiveIntSchema(10_000).default(32),
    /** Largest instance kept; a larger one is refused with 0xA700 (out of resources). */
    maxInstanceBytes: byteSizeSchema().default(4 * GiB),
    /** An association that sends nothing for this long is aborted. */
    idleTimeoutSeconds: positiveIntSchema(86_400).default(60),
    /** Zone of dates and times in objects without Timezone Offset From UTC (0008,0201). */
    timeZone: timeZoneSchema.default('Asia/Jakarta'),
    mapping: dicomMappingSchema.prefault({}),
  })
  .prefault({});

export type DicomConfig = z.output<typeof dicomConfigSchema>;
export type DicomMappingConfig = z.output<typeof dicomMappingSchema>;

export const dicomComponent = defineComponent('dicom', dicomConfigSchema, { port: 'SIMPUL_DICOM_PORT' });

function isIanaTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
