/**
 * _summary and _elements: the resource trimmed to the requested top-level elements, always keeping
 * resourceType, id, meta and the elements the resource type makes mandatory, and marked with the
 * SUBSETTED tag (FHIR R4 search §3.1.1.5.8/9) so nobody mistakes it for the whole resource.
 */
import { getDataType } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { SummaryMode } from './search-query.ts';

export const SUBSETTED_TAG = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

const ALWAYS = ['resourceType', 'id', 'meta'];

interface TypeSubsets {
  summary: Set<string>;
  mandatory: Set<string>;
  /** JSON property → element name ('valueQuantity' → 'value'). */
  elementOf: (property: string) => string;
}

const cache = new Map<string, TypeSubsets>();

function subsetsOf(resourceType: string): TypeSubsets {
  let subsets = cache.get(resourceType);
  if (!subsets) {
    const schema = getDataType(resourceType) as ReturnType<typeof getDataType> & { mandatoryProperties?: Set<string> };
    const choices = Object.keys(schema.elements)
      .filter((path) => path.endsWith('[x]'))
      .map((path) => path.slice(0, -3));
    subsets = {
      summary: schema.summaryProperties ?? new Set(),
      mandatory: schema.mandatoryProperties ?? new Set(),
      elementOf: (property) => choices.find((c) => property.startsWith(c) && /^[A-Z]/.test(property.slice(c.length))) ?? property,
    };
    cache.set(resourceType, subsets);
  }
  return subsets;
}

/** The resource as _summary / _elements ask for it; the same object when nothing is trimmed. */
export function subsetResource<T extends Resource>(resource: T, summary: SummaryMode | undefined, elements: string[] | undefined): T {
  if (elements && elements.length > 0) {
    const wanted = new Set(elements.map((e) => e.replace(/^[A-Z][A-Za-z]+\./, '')));
    return keep(resource, (element, subsets) => wanted.has(element) || subsets.mandatory.has(element));
  }
  switch (summary) {
    case 'true':
      return keep(resource, (element, subsets) => subsets.summary.has(element) || subsets.mandatory.has(element));
    case 'text':
      return keep(resource, (element, subsets) => element === 'text' || subsets.mandatory.has(element));
    case 'data':
      return keep(resource, (element) => element !== 'text');
    default:
      return resource;
  }
}

function keep<T extends Resource>(resource: T, wanted: (element: string, subsets: TypeSubsets) => boolean): T {
  const subsets = subsetsOf(resource.resourceType);
  const result: Record<string, unknown> = {};
  for (const [property, value] of Object.entries(resource)) {
    const element = subsets.elementOf(property.startsWith('_') ? property.slice(1) : property);
    if (ALWAYS.includes(property) || wanted(element, subsets)) {
      result[property] = value;
    }
  }
  const meta = resource.meta ?? {};
  const tags = (meta.tag ?? []).filter((t) => !(t.system === SUBSETTED_TAG.system && t.code === SUBSETTED_TAG.code));
  result.meta = { ...meta, tag: [...tags, SUBSETTED_TAG] };
  return result as T;
}
