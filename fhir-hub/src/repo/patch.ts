import {
  OperationOutcomeError,
  applyPatch,
  badRequest,
  fhirpathPatchTypedValue,
  normalizeOperationOutcome,
  parseFhirPathPatchParameters,
  toTypedValue,
  type Operation,
} from '@medplum/core';
import type { Parameters, Resource } from '@medplum/fhirtypes';

/**
 * Applies a JSON Patch (RFC 6902 array) or a FHIRPath Patch (Parameters) to a copy of the resource.
 * meta.versionId/lastUpdated are dropped: the repository stamps the new version.
 */
export function applyPatchOperations(resource: Resource, patch: Operation[] | Parameters): Resource {
  const copy = structuredClone(resource);
  try {
    if (Array.isArray(patch)) {
      const errors = applyPatch(copy, patch).filter(Boolean);
      if (errors.length > 0) {
        throw new OperationOutcomeError(badRequest(errors.map((e) => (e as Error).message).join('\n')));
      }
    } else if (patch.resourceType === 'Parameters') {
      fhirpathPatchTypedValue(toTypedValue(copy), parseFhirPathPatchParameters(patch));
    } else {
      throw new OperationOutcomeError(badRequest('A patch body is a JSON Patch array or a FHIRPath Patch Parameters resource'));
    }
  } catch (err) {
    if (err instanceof OperationOutcomeError) throw err;
    throw new OperationOutcomeError(normalizeOperationOutcome(err));
  }
  if (copy.meta) {
    delete copy.meta.versionId;
    delete copy.meta.lastUpdated;
  }
  return copy;
}
