import type { ValueSetComposeIncludeFilter } from '@medplum/fhirtypes';
import { TerminologyError, terminologyError } from '../errors.ts';
import type { CodeSystemIndex, IndexedConcept } from '../store/code-system-index.ts';

/** Properties that name the concept itself in a filter (FHIR uses `concept`; `code` is common too). */
const CONCEPT_PROPERTIES = new Set(['concept', 'code']);

/**
 * Narrows `concepts` of `index` by one ValueSet compose filter: is-a, descendent-of, is-not-a and
 * generalizes over the hierarchy; =, in, not-in, regex and exists over the code, the display or a
 * concept property.
 */
export function applyFilter(
  index: CodeSystemIndex,
  concepts: readonly IndexedConcept[],
  filter: ValueSetComposeIncludeFilter,
  valueSetUrl: string,
): IndexedConcept[] {
  const { property, op, value } = filter;
  const isConcept = CONCEPT_PROPERTIES.has(property);
  const hierarchy = (): ReadonlySet<string> => {
    if (!isConcept) {
      throw terminologyError(
        TerminologyError.CANNOT_EXPAND,
        `ValueSet ${valueSetUrl}: filter ${op} works on property "concept", not ${JSON.stringify(property)}`,
      );
    }
    const top = index.get(value);
    return top ? new Set([top.code, ...index.descendants(top.code)]) : new Set();
  };
  switch (op) {
    case 'is-a': {
      const below = hierarchy();
      return concepts.filter((concept) => below.has(concept.code));
    }
    case 'descendent-of': {
      const below = hierarchy();
      const top = index.get(value);
      return concepts.filter((concept) => below.has(concept.code) && concept.code !== top?.code);
    }
    case 'is-not-a': {
      const below = hierarchy();
      return concepts.filter((concept) => !below.has(concept.code));
    }
    case 'generalizes': {
      hierarchy();
      const top = index.get(value);
      const above = top ? new Set([top.code, ...index.ancestors(top.code)]) : new Set<string>();
      return concepts.filter((concept) => above.has(concept.code));
    }
    case '=':
      return concepts.filter((concept) => valuesOf(concept, property).includes(value));
    case 'in':
    case 'not-in': {
      const wanted = new Set(value.split(',').map((item) => item.trim()));
      const keep = op === 'in';
      return concepts.filter((concept) => valuesOf(concept, property).some((item) => wanted.has(item)) === keep);
    }
    case 'regex': {
      const pattern = compilePattern(value, valueSetUrl);
      return concepts.filter((concept) => valuesOf(concept, property).some((item) => pattern.test(item)));
    }
    case 'exists': {
      if (value !== 'true' && value !== 'false') {
        throw terminologyError(TerminologyError.CANNOT_EXPAND, `ValueSet ${valueSetUrl}: filter exists needs value true or false, found ${JSON.stringify(value)}`);
      }
      const wanted = value === 'true';
      return concepts.filter((concept) => valuesOf(concept, property).length > 0 === wanted);
    }
    default:
      throw terminologyError(TerminologyError.CANNOT_EXPAND, `ValueSet ${valueSetUrl}: filter operator ${JSON.stringify(op)} is not supported`);
  }
}

/** The values a concept has for a filter property, as strings. */
function valuesOf(concept: IndexedConcept, property: string): string[] {
  if (CONCEPT_PROPERTIES.has(property)) return [concept.code];
  if (property === 'display') return concept.display === undefined ? [] : [concept.display];
  if (property === 'parent') return [...concept.parents];
  if (property === 'child') return [...concept.children];
  const values: string[] = [];
  for (const item of concept.concept.property ?? []) {
    if (item.code !== property) continue;
    const value =
      item.valueCode ?? item.valueString ?? item.valueDateTime ?? item.valueCoding?.code ??
      (item.valueBoolean ?? item.valueInteger ?? item.valueDecimal)?.toString();
    if (value !== undefined) values.push(value);
  }
  return values;
}

function compilePattern(source: string, valueSetUrl: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`, 'u');
  } catch (error) {
    throw terminologyError(
      TerminologyError.CANNOT_EXPAND,
      `ValueSet ${valueSetUrl}: regex ${JSON.stringify(source)} is not valid: ${(error as Error).message}`,
    );
  }
}
