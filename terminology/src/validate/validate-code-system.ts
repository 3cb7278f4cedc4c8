import { CODE_SYSTEM_CONTENT_MODES } from '../resource-types.ts';
import type { JsonObject, ProblemList } from './resource-checks.ts';
import { describe } from './resource-checks.ts';

/** Deeper nesting than this is not a real hierarchy; refuse it rather than recurse without end. */
export const MAX_CONCEPT_DEPTH = 64;

const PROPERTY_VALUE_KEYS = [
  'valueCode',
  'valueCoding',
  'valueString',
  'valueInteger',
  'valueBoolean',
  'valueDateTime',
  'valueDecimal',
] as const;

export function checkCodeSystem(resource: JsonObject, root: string, problems: ProblemList): void {
  problems.oneOf(resource, 'content', root, CODE_SYSTEM_CONTENT_MODES, true);
  problems.boolean(resource, 'caseSensitive', root);
  for (const [property, path] of problems.objects(problems.array(resource, 'property', root), `${root}.property`)) {
    problems.code(property, 'code', path, true);
    problems.string(property, 'type', path);
  }

  const codes = new Set<string>();
  const parentReferences: Array<{ code: string; path: string }> = [];
  // Iterative walk: a hostile file cannot blow the stack, and depth is bounded explicitly.
  const pending: Array<{ list: unknown; path: string; depth: number }> = [
    { list: resource.concept, path: `${root}.concept`, depth: 1 },
  ];
  while (pending.length > 0) {
    const { list, path, depth } = pending.pop()!;
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      problems.add(path, `must be a list, found ${describe(list)}`);
      continue;
    }
    if (depth > MAX_CONCEPT_DEPTH) {
      problems.add(path, `concepts are nested deeper than ${MAX_CONCEPT_DEPTH} levels`);
      continue;
    }
    for (const [concept, conceptPath] of problems.objects(list, path)) {
      const code = problems.code(concept, 'code', conceptPath, true);
      if (code !== undefined) {
        if (codes.has(code)) problems.add(`${conceptPath}.code`, `code ${JSON.stringify(code)} is defined more than once`);
        codes.add(code);
      }
      problems.string(concept, 'display', conceptPath);
      problems.string(concept, 'definition', conceptPath);
      checkDesignations(concept, conceptPath, problems);
      for (const [property, propertyPath] of problems.objects(problems.array(concept, 'property', conceptPath), `${conceptPath}.property`)) {
        const propertyCode = problems.code(property, 'code', propertyPath, true);
        const valueKeys = PROPERTY_VALUE_KEYS.filter((key) => property[key] !== undefined);
        if (valueKeys.length !== 1) {
          problems.add(propertyPath, `must have exactly one value[x] (${PROPERTY_VALUE_KEYS.join(', ')}), found ${valueKeys.length}`);
        } else if (propertyCode === 'parent' && typeof property.valueCode === 'string') {
          parentReferences.push({ code: property.valueCode, path: `${propertyPath}.valueCode` });
        }
      }
      pending.push({ list: concept.concept, path: `${conceptPath}.concept`, depth: depth + 1 });
    }
  }
  for (const reference of parentReferences) {
    if (!codes.has(reference.code)) problems.add(reference.path, `parent ${JSON.stringify(reference.code)} is not a code of this CodeSystem`);
  }
}

export function checkDesignations(concept: JsonObject, path: string, problems: ProblemList): void {
  for (const [designation, designationPath] of problems.objects(problems.array(concept, 'designation', path), `${path}.designation`)) {
    problems.string(designation, 'value', designationPath, true);
    problems.string(designation, 'language', designationPath);
    problems.object(designation, 'use', designationPath);
  }
}
