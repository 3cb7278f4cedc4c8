import { fileURLToPath } from 'node:url';
import type { LoadTerminologyOptions } from './load/load-files.ts';
import { loadTerminologyDir } from './load/load-files.ts';
import type { TerminologyResource } from './resource-types.ts';
import type { TerminologyStore } from './store/terminology-store.ts';

/** Where the shipped content lives (terminology/content); see its README for what is in it. */
export const STARTER_CONTENT_DIR = fileURLToPath(new URL('../content/', import.meta.url));

/**
 * Loads the shipped starter content (HL7 v2 tables and their maps to FHIR, DICOM modality codes,
 * the local-to-LOINC radiology sample, SATUSEHAT placeholders) into `store`, and returns it.
 * Load hospital content after this: the same canonical URL loaded later wins.
 */
export async function loadStarterContent(store: TerminologyStore, options: LoadTerminologyOptions = {}): Promise<TerminologyResource[]> {
  const resources = await loadTerminologyDir(STARTER_CONTENT_DIR, options);
  store.addAll(resources);
  return resources;
}
