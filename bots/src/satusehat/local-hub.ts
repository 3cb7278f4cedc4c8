import { getStatus, normalizeErrorString, OperationOutcomeError, type MedplumClient } from '@medplum/core';
import type { Identifier, Resource, ResourceType } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';

/** How the driver reads the hub's (local) resources and writes what it learned from SATUSEHAT back onto them. */

const MAX_WRITE_ATTEMPTS = 5;

/** `Patient/<id>` → the resource; a reference that does not name a `type` is a permanent problem of `owner`. */
export async function readReferenced<T extends Resource>(medplum: MedplumClient, reference: string | undefined, type: T['resourceType'], owner: string, element: string): Promise<T> {
  const match = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(reference ?? '');
  if (!match || match[1] !== type) {
    throw new PermanentError(`${owner} ${element} must reference a ${type} (found ${reference === undefined ? 'nothing' : JSON.stringify(reference)})`);
  }
  return hubCall(`read ${reference}`, () => medplum.readResource(type as ResourceType, match[2]) as unknown as Promise<T>);
}

/**
 * Makes `identifier` part of the local resource: an identifier of the same system is replaced, or
 * one is added. Each write is conditional on the version just read (If-Match); when someone else
 * wrote in between (412) the resource is read again and the change made on the newer version.
 * Returns true when the resource changed.
 */
export async function writeBackIdentifier(medplum: MedplumClient, resourceType: ResourceType, id: string, identifier: Identifier & { system: string; value: string }): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const current = await hubCall(`read ${resourceType}/${id}`, () => medplum.readResource(resourceType, id));
    const identifiers = (current as { identifier?: Identifier[] }).identifier ?? [];
    const same = identifiers.find((existing) => existing.system === identifier.system);
    if (same?.value === identifier.value) return false;
    const updated = {
      ...current,
      identifier: same ? identifiers.map((existing) => (existing === same ? { ...existing, value: identifier.value } : existing)) : [...identifiers, identifier],
    } as Resource;
    const versionId = current.meta?.versionId;
    try {
      await medplum.updateResource(updated, versionId ? { headers: { 'If-Match': `W/"${versionId}"` } } : undefined);
      return true;
    } catch (error) {
      const status = error instanceof OperationOutcomeError ? getStatus(error.outcome) : undefined;
      if (status === 412 && attempt < MAX_WRITE_ATTEMPTS) continue;
      throw hubError(`write ${identifier.system} back onto ${resourceType}/${id}`, error);
    }
  }
}

async function hubCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw hubError(what, error);
  }
}

/** The hub refusing the request (4xx) is permanent unless it is about timing; the rest is retried. */
function hubError(what: string, error: unknown): Error {
  const status = error instanceof OperationOutcomeError ? getStatus(error.outcome) : undefined;
  const message = `the hub failed to ${what}: ${normalizeErrorString(error)}`;
  if (status !== undefined && status >= 400 && status < 500 && ![408, 409, 412, 429].includes(status)) {
    return new PermanentError(message, { cause: error });
  }
  return new RetryableDeliveryError(message, { cause: error });
}
