import type { Bundle, BundleEntry, Identifier, Patient, PatientLink } from '@medplum/fhirtypes';
import type { HubClient } from './hub-client.ts';

/**
 * An ADT's conditional `PUT Patient?identifier=...` would replace the whole Patient and drop what
 * other sources added (the IHS number written back from SATUSEHAT, identifiers from a merge). Before
 * the transaction is sent, each such entry is turned into a version-checked update of the existing
 * Patient carrying the message's data plus the identifiers and links the message does not know.
 * A Patient the message retires (link `replaced-by`, an A40 non-survivor) is written as mapped.
 * A concurrent change makes the transaction fail with 412 and the message is retried.
 */
export async function preserveExistingPatientData(bundle: Bundle, hub: HubClient): Promise<Bundle> {
  const entries: BundleEntry[] = [];
  for (const entry of bundle.entry ?? []) {
    entries.push(await mergeEntry(entry, hub));
  }
  return { ...bundle, entry: entries };
}

async function mergeEntry(entry: BundleEntry, hub: HubClient): Promise<BundleEntry> {
  const url = entry.request?.url ?? '';
  if (entry.request?.method !== 'PUT' || !url.startsWith('Patient?') || entry.resource?.resourceType !== 'Patient') {
    return entry;
  }
  const incoming = entry.resource as Patient;
  if (incoming.link?.some((l) => l.type === 'replaced-by')) return entry;
  const matches = await hub.searchPatients(url.slice('Patient?'.length));
  if (matches.length !== 1 || !matches[0].id) return entry;
  const existing = matches[0];
  const merged: Patient = {
    ...incoming,
    id: existing.id,
    identifier: union(incoming.identifier, existing.identifier, identifierKey),
    link: union(incoming.link, existing.link, linkKey),
  };
  if (merged.link?.length === 0) delete merged.link;
  return {
    ...entry,
    resource: merged,
    request: {
      method: 'PUT',
      url: `Patient/${existing.id}`,
      ...(existing.meta?.versionId ? { ifMatch: `W/"${existing.meta.versionId}"` } : {}),
    },
  };
}

function union<T>(incoming: T[] | undefined, existing: T[] | undefined, key: (item: T) => string): T[] {
  const result = [...(incoming ?? [])];
  const seen = new Set(result.map(key));
  for (const item of existing ?? []) {
    if (!seen.has(key(item))) {
      result.push(item);
      seen.add(key(item));
    }
  }
  return result;
}

const identifierKey = (id: Identifier): string => `${id.system ?? ''}|${id.value ?? ''}`;
const linkKey = (link: PatientLink): string => `${link.type}|${link.other?.reference ?? ''}`;
