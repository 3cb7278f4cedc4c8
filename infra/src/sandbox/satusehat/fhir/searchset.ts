import type { FhirJson } from './fhir-json.ts';

export interface SearchsetBundle {
  resourceType: 'Bundle';
  type: 'searchset';
  total: number;
  link: { relation: string; url: string }[];
  entry?: { fullUrl: string; resource: FhirJson; search: { mode: 'match' } }[];
}

/** Section 3's search answer; with no match `total` is 0 and there is no `entry` at all. */
export function searchsetBundle(resources: FhirJson[], fhirBase: string, selfUrl: string): SearchsetBundle {
  const bundle: SearchsetBundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    link: [{ relation: 'search', url: selfUrl }],
  };
  if (resources.length > 0) {
    bundle.entry = resources.map((resource) => ({
      fullUrl: `${fhirBase}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    }));
  }
  return bundle;
}
