import { OperationOutcomeError, badRequest, getResourceTypes } from '@medplum/core';
import { HubError, hubError } from '../errors.ts';

let knownTypes: Set<string> | undefined;

/** R4 resource types the hub stores; loaded lazily from the indexed StructureDefinitions. */
export function isKnownResourceType(resourceType: string): boolean {
  knownTypes ??= new Set(getResourceTypes());
  if (knownTypes.size === 0) knownTypes = undefined;
  return knownTypes?.has(resourceType) ?? false;
}

export function assertKnownResourceType(resourceType: string | undefined): void {
  if (!resourceType || !isKnownResourceType(resourceType)) {
    throw hubError(
      HubError.UNKNOWN_RESOURCE_TYPE,
      `Unknown resource type "${String(resourceType).slice(0, 80)}": not an R4 resource type`,
      'resourceType',
    );
  }
}

export function parseReferenceString(reference: string | undefined): { resourceType: string; id: string } {
  const parts = reference?.split('/') ?? [];
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new OperationOutcomeError(badRequest(`Invalid reference "${reference ?? ''}": expected Type/id`));
  }
  return { resourceType: parts[0], id: parts[1] };
}
