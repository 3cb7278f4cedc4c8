import type { ValueSetComposeIncludeFilter } from '@medplum/fhirtypes';
import type { JsonObject, ProblemList } from './resource-checks.ts';
import { describe } from './resource-checks.ts';
import { checkDesignations, MAX_CONCEPT_DEPTH } from './validate-code-system.ts';

export const FILTER_OPERATORS: readonly ValueSetComposeIncludeFilter['op'][] = [
  '=',
  'is-a',
  'descendent-of',
  'is-not-a',
  'regex',
  'in',
  'not-in',
  'generalizes',
  'exists',
];

export function checkValueSet(resource: JsonObject, root: string, problems: ProblemList): void {
  const compose = problems.object(resource, 'compose', root);
  if (compose) {
    const composePath = `${root}.compose`;
    problems.boolean(compose, 'inactive', composePath);
    for (const key of ['include', 'exclude'] as const) {
      const rules = problems.array(compose, key, composePath, key === 'include');
      for (const [rule, rulePath] of problems.objects(rules, `${composePath}.${key}`)) checkRule(rule, rulePath, problems);
    }
  }
  const expansion = problems.object(resource, 'expansion', root);
  if (expansion) checkContains(expansion.contains, `${root}.expansion.contains`, problems);
}

function checkRule(rule: JsonObject, path: string, problems: ProblemList): void {
  const system = problems.uri(rule, 'system', path);
  problems.string(rule, 'version', path);
  const valueSets = problems.array(rule, 'valueSet', path);
  valueSets?.forEach((valueSet, index) => {
    if (typeof valueSet !== 'string' || valueSet.trim() === '') {
      problems.add(`${path}.valueSet[${index}]`, `must be a ValueSet canonical URL, found ${describe(valueSet)}`);
    }
  });
  const concepts = problems.array(rule, 'concept', path);
  const filters = problems.array(rule, 'filter', path);
  if (rule.system === undefined && (valueSets === undefined || valueSets.length === 0)) {
    problems.add(path, 'needs a system or a valueSet');
  }
  if (concepts && concepts.length > 0 && filters && filters.length > 0) {
    problems.add(path, 'cannot have both concept and filter (FHIR vsd-3)');
  }
  if ((concepts?.length || filters?.length) && system === undefined && rule.system === undefined) {
    problems.add(path, 'concept and filter need a system');
  }
  for (const [concept, conceptPath] of problems.objects(concepts, `${path}.concept`)) {
    problems.code(concept, 'code', conceptPath, true);
    problems.string(concept, 'display', conceptPath);
    checkDesignations(concept, conceptPath, problems);
  }
  for (const [filter, filterPath] of problems.objects(filters, `${path}.filter`)) {
    problems.code(filter, 'property', filterPath, true);
    problems.oneOf(filter, 'op', filterPath, FILTER_OPERATORS, true);
    problems.string(filter, 'value', filterPath, true);
  }
}

function checkContains(list: unknown, path: string, problems: ProblemList): void {
  const pending: Array<{ list: unknown; path: string; depth: number }> = [{ list, path, depth: 1 }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (next.list === undefined || next.list === null) continue;
    if (!Array.isArray(next.list)) {
      problems.add(next.path, `must be a list, found ${describe(next.list)}`);
      continue;
    }
    if (next.depth > MAX_CONCEPT_DEPTH) {
      problems.add(next.path, `contains is nested deeper than ${MAX_CONCEPT_DEPTH} levels`);
      continue;
    }
    for (const [entry, entryPath] of problems.objects(next.list, next.path)) {
      problems.uri(entry, 'system', entryPath);
      problems.code(entry, 'code', entryPath);
      problems.string(entry, 'display', entryPath);
      problems.boolean(entry, 'abstract', entryPath);
      problems.boolean(entry, 'inactive', entryPath);
      if (entry.code !== undefined && entry.system === undefined) problems.add(entryPath, 'a code needs its system');
      pending.push({ list: entry.contains, path: `${entryPath}.contains`, depth: next.depth + 1 });
    }
  }
}
