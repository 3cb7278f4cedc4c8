import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';

const systemSchema = expecting(z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i), 'an absolute URI such as https://fhir.kemkes.go.id/id/nik');

/**
 * An identifier system whose value names one person. `national` (NIK, IHS number): the same value is
 * a certain match and different values are certainly not the same person. `record` (an MRN): the same
 * value is a certain match, different values say nothing (one HIS may hold duplicates of a person).
 */
const uniqueIdentifierSchema = z.strictObject({
  system: systemSchema,
  kind: z.enum(['national', 'record']).default('record'),
});

/**
 * "A value in `from` is a value of `to`": e.g. the DICOM PatientID system of AE CT01 holds the MRNs of
 * the RS HIS. `valuePrefix` is added to a value that lacks it (modalities where the prefix is not typed).
 */
const identifierMapSchema = z.strictObject({
  from: systemSchema,
  to: systemSchema,
  valuePrefix: z.string().trim().min(1).optional(),
});

const agreementSchema = (agree: number, disagree: number) =>
  z.strictObject({ agree: z.number().min(0).default(agree), disagree: z.number().max(0).default(disagree) }).prefault({});

/** Weights of the probabilistic score (log-likelihood style points: agreement adds, disagreement subtracts). */
const weightsSchema = z
  .strictObject({
    name: agreementSchema(8, -4),
    birthDate: z
      .strictObject({
        agree: z.number().min(0).default(6),
        /** Day and month swapped (03-07 vs 07-03). */
        swapped: z.number().min(0).default(4),
        /** One digit wrong. */
        typo: z.number().min(0).default(2),
        disagree: z.number().max(0).default(-6),
      })
      .prefault({}),
    sex: agreementSchema(1, -4),
    phone: agreementSchema(4, 0),
    address: agreementSchema(2, 0),
  })
  .prefault({});

export const identityConfigSchema = z
  .strictObject({
    /** Match every Patient write and serve `$match`, `$merge`, `$unmerge`. */
    enabled: z.boolean().default(true),
    uniqueIdentifiers: z
      .array(uniqueIdentifierSchema)
      .default([
        { system: 'https://fhir.kemkes.go.id/id/nik', kind: 'national' },
        { system: 'https://fhir.kemkes.go.id/id/ihs-number', kind: 'national' },
      ]),
    identifierMaps: z.array(identifierMapSchema).default([]),
    weights: weightsSchema,
    /** At or above: the records are linked automatically (same person). */
    match: z.number().default(16),
    /** At or above (and below `match`): a review Task is opened. */
    possible: z.number().default(9),
    /** Candidates read per blocking key; a key shared by more patients (a very common name) is cut here. */
    maxCandidatesPerKey: z.int().min(1).max(10_000).default(200),
    /** How often each replica's worker looks for matching work (ms); 0 leaves it to `drain()` (tests, CLI). */
    pollIntervalMs: z.int().min(0).default(1000),
  })
  .refine((config) => config.possible <= config.match, { message: 'identity.possible must not be above identity.match', path: ['possible'] })
  .prefault({});

export type IdentityConfig = z.output<typeof identityConfigSchema>;
export type IdentityConfigInput = z.input<typeof identityConfigSchema>;

export const identityComponent = defineComponent('identity', identityConfigSchema);
