import { z } from 'zod';
import { defineComponent } from './component.ts';
import { expecting } from './expectations.ts';

/**
 * What the hub's terminology service holds besides the CodeSystems, ValueSets and ConceptMaps
 * written to it over FHIR: the shipped starter content and files loaded at every start (each
 * replica reads them itself, so they must be reachable from every replica).
 */
export const terminologyConfigSchema = z
  .strictObject({
    /** Load the starter content (HL7 v2 tables and maps, DICOM modalities, SATUSEHAT systems). */
    starterContent: z.boolean().default(true),
    /**
     * Files or directories (FHIR JSON, YAML, CSV) loaded at start, after the starter content; a
     * relative path is relative to the working directory. Resources stored in the hub win over them.
     */
    load: z.array(expecting(z.string().trim().min(1), 'a file or directory path')).default([]),
  })
  .prefault({});

export type TerminologyConfig = z.output<typeof terminologyConfigSchema>;

export const terminologyComponent = defineComponent('terminology', terminologyConfigSchema);
