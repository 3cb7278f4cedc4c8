import { getDataType, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { adaptCoreIssues, coreValidationIssues } from './core-issues.ts';
import { validationDefinitions } from './definitions.ts';
import { errorIssue, IssueCollector } from './issue-collector.ts';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth.ts';
import { isJsonObject, jsonKind } from './json-value.ts';
import type { ProfileResolver } from './profile-validation.ts';
import { validateDeclaredProfiles } from './profile-validation.ts';
import { ResourceWalker } from './resource-walker.ts';

export interface ValidateFhirResourceOptions {
  /** Looks up profiles named in `meta.profile`; unknown urls are ignored. */
  profiles?: ProfileResolver;
}

/** Issues beyond this many are summarised in one last issue, so hostile input cannot make a huge response. */
export const MAX_REPORTED_ISSUES = 100;

/**
 * Validates a FHIR R4 resource before it is written. Returns normally when it is valid; otherwise
 * throws an OperationOutcomeError whose OperationOutcome has one error issue per problem, each with
 * an issue code, a readable `details.text` and the element path in `expression`.
 */
export function validateFhirResource(resource: unknown, options?: ValidateFhirResourceOptions): void {
  const definitions = validationDefinitions();
  const envelopeProblem = checkEnvelope(resource, definitions.resourceTypes);
  if (envelopeProblem) {
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: [envelopeProblem] });
  }
  const fhirResource = resource as Resource;
  const rootPath = fhirResource.resourceType;

  const issues = new IssueCollector();
  const walker = new ResourceWalker({
    expander: definitions.expander,
    isKnownResourceType: (type) => definitions.resourceTypes.has(type),
    issues,
  });
  walker.walk(resource as Record<string, unknown>, getDataType(rootPath), rootPath);
  issues.addCoreIssues(adaptCoreIssues(coreValidationIssues(fhirResource), resource), rootPath);
  if (options?.profiles) {
    validateDeclaredProfiles(fhirResource, options.profiles, walker, issues);
  }

  if (issues.issues.length > 0) {
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: limitIssues(issues.issues, rootPath) });
  }
}

/** The checks that must pass before the resource can be walked at all. */
function checkEnvelope(resource: unknown, resourceTypes: ReadonlySet<string>): OperationOutcomeIssue | undefined {
  if (!isJsonObject(resource)) {
    return errorIssue('structure', `A resource must be a JSON object, but found ${jsonKind(resource)}`);
  }
  const resourceType = resource.resourceType;
  if (resourceType === undefined) {
    return errorIssue('required', 'Missing resourceType', 'resourceType');
  }
  if (typeof resourceType !== 'string') {
    return errorIssue('structure', `resourceType must be a string, but found ${jsonKind(resourceType)}`, 'resourceType');
  }
  if (!resourceTypes.has(resourceType)) {
    return errorIssue('structure', `Unknown resource type "${truncate(resourceType)}"`, 'resourceType');
  }
  if (exceedsJsonDepth(resource, MAX_JSON_DEPTH)) {
    return errorIssue('structure', `Resource nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`, resourceType);
  }
  return undefined;
}

function limitIssues(issues: readonly OperationOutcomeIssue[], rootPath: string): OperationOutcomeIssue[] {
  if (issues.length <= MAX_REPORTED_ISSUES) {
    return [...issues];
  }
  const omitted = issues.length - MAX_REPORTED_ISSUES;
  return [
    ...issues.slice(0, MAX_REPORTED_ISSUES),
    errorIssue('too-costly', `${omitted} more issues not listed`, rootPath),
  ];
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}
