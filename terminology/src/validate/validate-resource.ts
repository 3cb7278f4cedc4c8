import { TerminologyError, terminologyIssue, terminologyOutcome } from '../errors.ts';
import { isTerminologyResourceType, TERMINOLOGY_RESOURCE_TYPES } from '../resource-types.ts';
import type { TerminologyResource } from '../resource-types.ts';
import { OperationOutcomeError } from '@medplum/core';
import type { ResourceProblem } from './resource-checks.ts';
import { describe, isJsonObject, ProblemList } from './resource-checks.ts';
import { checkCodeSystem } from './validate-code-system.ts';
import { checkConceptMap } from './validate-concept-map.ts';
import { checkValueSet } from './validate-value-set.ts';

const PUBLICATION_STATUSES = ['draft', 'active', 'retired', 'unknown'] as const;

/**
 * Checks a CodeSystem, ValueSet or ConceptMap for everything the store and the operations rely
 * on. `root` prefixes the paths (`CodeSystem`, or `Bundle.entry[3].resource` for a bundle entry).
 * Returns no problems for a usable resource.
 */
export function checkTerminologyResource(value: unknown, root?: string): ResourceProblem[] {
  const problems = new ProblemList();
  if (!isJsonObject(value)) {
    problems.add(root ?? '', `expected a FHIR resource (an object), found ${describe(value)}`);
    return problems.all();
  }
  const resourceType = value.resourceType;
  if (!isTerminologyResourceType(resourceType)) {
    problems.add(
      root ? `${root}.resourceType` : 'resourceType',
      `${describe(resourceType)} is not a terminology resource (expected ${TERMINOLOGY_RESOURCE_TYPES.join(', ')}, or a Bundle of them)`,
    );
    return problems.all();
  }
  const path = root ?? resourceType;
  problems.uri(value, 'url', path, true);
  problems.string(value, 'version', path);
  problems.string(value, 'name', path);
  problems.string(value, 'title', path);
  problems.oneOf(value, 'status', path, PUBLICATION_STATUSES, true);
  if (resourceType === 'CodeSystem') checkCodeSystem(value, path, problems);
  else if (resourceType === 'ValueSet') checkValueSet(value, path, problems);
  else checkConceptMap(value, path, problems);
  return problems.all();
}

/** Throws INVALID_RESOURCE listing every problem, or returns the value typed as a resource. */
export function assertTerminologyResource(value: unknown): TerminologyResource {
  const problems = checkTerminologyResource(value);
  if (problems.length > 0) {
    const issues = problems.map((problem) =>
      terminologyIssue(TerminologyError.INVALID_RESOURCE, problem.path ? `${problem.path}: ${problem.message}` : problem.message, problem.path || undefined),
    );
    throw new OperationOutcomeError(terminologyOutcome(TerminologyError.INVALID_RESOURCE, issues));
  }
  return value as TerminologyResource;
}
