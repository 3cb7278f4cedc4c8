import type { InternalTypeSchema } from '@medplum/core';
import { parseStructureDefinition } from '@medplum/core';
import type { Resource, StructureDefinition } from '@medplum/fhirtypes';
import { adaptCoreIssues, coreValidationIssues } from './core-issues.ts';
import type { IssueCollector } from './issue-collector.ts';
import { errorIssue } from './issue-collector.ts';
import type { ResourceWalker } from './resource-walker.ts';

/**
 * Returns the StructureDefinition (with snapshot) the hub holds for a url as written in
 * meta.profile (a `|version` suffix included), or undefined.
 */
export type ProfileResolver = (url: string) => StructureDefinition | undefined;

const parsedProfiles = new WeakMap<StructureDefinition, InternalTypeSchema>();

/**
 * Validates a resource against each profile in its `meta.profile` that the resolver knows: core's
 * structural validation with the profile as root schema, plus required bindings the profile adds.
 * Profiles the resolver does not know are ignored. Only the root resource's profiles are applied,
 * not those claimed by contained resources or Bundle entries.
 */
export function validateDeclaredProfiles(
  resource: Resource,
  resolve: ProfileResolver,
  walker: ResourceWalker,
  issues: IssueCollector
): void {
  const profileUrls = resource.meta?.profile;
  if (!Array.isArray(profileUrls)) {
    return; // a malformed meta.profile is reported by structural validation
  }
  const resourceType = resource.resourceType;
  profileUrls.forEach((url, index) => {
    const profile = typeof url === 'string' ? resolve(url) : undefined;
    if (!profile) {
      return;
    }
    const path = `${resourceType}.meta.profile[${index}]`;
    if (profile.type !== resourceType) {
      issues.add(errorIssue('structure', `Profile ${url} constrains ${profile.type}, not ${resourceType}`, path));
      return;
    }
    if (!profile.snapshot?.element?.length) {
      issues.add(errorIssue('processing', `Profile ${url} has no snapshot, so it cannot be validated against`, path));
      return;
    }
    walker.walk(resource as unknown as Record<string, unknown>, parsedProfile(profile), resourceType);
    issues.addCoreIssues(adaptCoreIssues(coreValidationIssues(resource, { profile }), resource), resourceType);
  });
}

/** Parsed once per StructureDefinition object, so a resolver that caches its objects pays once. */
function parsedProfile(profile: StructureDefinition): InternalTypeSchema {
  let schema = parsedProfiles.get(profile);
  if (!schema) {
    schema = parseStructureDefinition(profile);
    parsedProfiles.set(profile, schema);
  }
  return schema;
}
