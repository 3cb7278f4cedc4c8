import { CONCEPT_MAP_EQUIVALENCES, isNegativeEquivalence } from '../resource-types.ts';
import type { ConceptMapEquivalence } from '../resource-types.ts';
import type { JsonObject, ProblemList } from './resource-checks.ts';

const UNMAPPED_MODES = ['provided', 'fixed', 'other-map'] as const;

export function checkConceptMap(resource: JsonObject, root: string, problems: ProblemList): void {
  for (const key of ['sourceUri', 'sourceCanonical', 'targetUri', 'targetCanonical']) problems.string(resource, key, root);
  for (const [group, groupPath] of problems.objects(problems.array(resource, 'group', root), `${root}.group`)) {
    checkGroup(group, groupPath, problems);
  }
}

function checkGroup(group: JsonObject, path: string, problems: ProblemList): void {
  problems.uri(group, 'source', path, true);
  const target = problems.uri(group, 'target', path);
  problems.string(group, 'sourceVersion', path);
  problems.string(group, 'targetVersion', path);
  let needsTarget = false;
  const seen = new Set<string>();
  for (const [element, elementPath] of problems.objects(problems.array(group, 'element', path, true), `${path}.element`)) {
    const code = problems.code(element, 'code', elementPath, true);
    if (code !== undefined) {
      if (seen.has(code)) problems.add(`${elementPath}.code`, `code ${JSON.stringify(code)} appears in more than one element of this group; list all its targets in one element`);
      seen.add(code);
    }
    problems.string(element, 'display', elementPath);
    for (const [mapping, targetPath] of problems.objects(problems.array(element, 'target', elementPath), `${elementPath}.target`)) {
      const targetCode = problems.code(mapping, 'code', targetPath);
      problems.string(mapping, 'display', targetPath);
      problems.string(mapping, 'comment', targetPath);
      const equivalence = problems.oneOf<ConceptMapEquivalence>(mapping, 'equivalence', targetPath, CONCEPT_MAP_EQUIVALENCES, true);
      if (mapping.code === undefined && equivalence !== undefined && !isNegativeEquivalence(equivalence)) {
        problems.add(targetPath, `a target without a code must be unmatched or disjoint, not ${equivalence}`);
      }
      if (targetCode !== undefined) needsTarget = true;
    }
  }
  if (needsTarget && target === undefined && group.target === undefined) {
    problems.add(`${path}.target`, 'is required: the system of the target codes');
  }
  const unmapped = problems.object(group, 'unmapped', path);
  if (unmapped) {
    const unmappedPath = `${path}.unmapped`;
    const mode = problems.oneOf(unmapped, 'mode', unmappedPath, UNMAPPED_MODES, true);
    problems.code(unmapped, 'code', unmappedPath, mode === 'fixed');
    problems.string(unmapped, 'display', unmappedPath);
    problems.string(unmapped, 'url', unmappedPath, mode === 'other-map');
    if (mode !== undefined && mode !== 'other-map' && target === undefined && group.target === undefined) {
      problems.add(`${path}.target`, `is required when unmapped.mode is ${mode}`);
    }
  }
}
