import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';
import { hostSchema, portSchema } from './field-types.ts';

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

export const dicomConfigSchema = z
  .strictObject({
    port: portSchema.default(11112),
    aeTitle: aeTitleSchema.default('SIMPUL'),
    host: hostSchema.default('127.0.0.1'),
  })
  .prefault({});

export type DicomConfig = z.output<typeof dicomConfigSchema>;

export const dicomComponent = defineComponent('dicom', dicomConfigSchema, { port: 'SIMPUL_DICOM_PORT' });
