import { identifiersOf, type FhirJson } from './fhir-json.ts';
import { hasIdentifier } from './identifier-token.ts';
import type { ResourceStore } from './resource-store.ts';
import { studyInstanceUidOf } from './imaging-study-rules.ts';

const ACCESSION_SYSTEM = /^https?:\/\/sys-ids\.kemkes\.go\.id\/acsn\//;

export interface Duplicate {
  text: string;
  expression: string;
}

export interface DuplicateRules {
  imagingStudy: boolean;
  encounter: boolean;
}

/**
 * What the platform refuses as `duplicate`: an Encounter resent with the same values (section 8,
 * documented), and (configurable, [U]) a second ImagingStudy for a study UID or accession number
 * that already has one. `selfId` is the resource being updated, which never duplicates itself.
 */
export function findDuplicate(resource: FhirJson, store: ResourceStore, rules: DuplicateRules, selfId?: string): Duplicate | undefined {
  if (resource.resourceType === 'ImagingStudy' && rules.imagingStudy) return duplicateImagingStudy(resource, store, selfId);
  if (resource.resourceType === 'Encounter' && rules.encounter) return duplicateEncounter(resource, store, selfId);
  return undefined;
}

function duplicateImagingStudy(study: FhirJson, store: ResourceStore, selfId: string | undefined): Duplicate | undefined {
  const studyUid = studyInstanceUidOf(study);
  if (studyUid !== undefined) {
    const [other] = store.find('ImagingStudy', (s) => s.resource.id !== selfId && studyInstanceUidOf(s.resource) === studyUid);
    if (other) return { text: `An ImagingStudy for Study Instance UID ${studyUid} already exists: ImagingStudy/${other.id}`, expression: 'ImagingStudy.identifier' };
  }
  for (const accession of identifiersOf(study).filter((i) => ACCESSION_SYSTEM.test(i.system ?? '') && i.value)) {
    const [other] = store.find('ImagingStudy', (s) => s.resource.id !== selfId && hasIdentifier(s.resource, accession));
    if (other) return { text: `An ImagingStudy for accession number ${accession.value} already exists: ImagingStudy/${other.id}`, expression: 'ImagingStudy.identifier' };
  }
  return undefined;
}

function duplicateEncounter(encounter: FhirJson, store: ResourceStore, selfId: string | undefined): Duplicate | undefined {
  const content = canonicalContent(encounter);
  const [other] = store.find('Encounter', (s) => s.resource.id !== selfId && canonicalContent(s.resource) === content);
  return other ? { text: `Encounter already exists with the same values: Encounter/${other.id}`, expression: 'Encounter' } : undefined;
}

/** The resource without `id` and `meta`, as JSON with sorted keys, so key order does not matter. */
function canonicalContent(resource: FhirJson): string {
  const { id: _id, meta: _meta, ...content } = resource;
  return JSON.stringify(content, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
