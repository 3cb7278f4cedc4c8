import { isResourceType } from '@medplum/core';
import { initSearchDefinitions } from './definitions.ts';
import { capIndexedText, sanitizeText } from './text-normalize.ts';

/** How a reference is stored in sp_reference and compared at search time. */
export interface ReferenceValue {
  targetType: string | null;
  targetId: string | null;
  targetUrl: string | null;
}

// Type/id, optionally followed by /_history/version; ids are [A-Za-z0-9-.]{1,64} in FHIR.
const LITERAL_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/**
 * Splits a literal relative reference ("Patient/123", "Patient/123/_history/2") into type and id;
 * anything else (absolute URL, canonical, urn:uuid, "#contained") is kept whole as a URL.
 */
export function parseReferenceString(reference: string): ReferenceValue {
  initSearchDefinitions(); // isResourceType needs the loaded definitions
  const clean = sanitizeText(reference);
  const m = LITERAL_REFERENCE.exec(clean);
  if (m && isResourceType(m[1])) {
    return { targetType: m[1], targetId: m[2], targetUrl: null };
  }
  return { targetType: null, targetId: null, targetUrl: capIndexedText(clean) };
}
