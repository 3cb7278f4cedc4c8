import type { ServiceRequest } from '@medplum/fhirtypes';
import type { SatusehatDestinationConfig } from '@simpul/infra';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';
import { buildServiceRequest } from './build-service-request.ts';
import { accessionSystem } from './identifier-systems.ts';
import { resolvePractitioner, type MasterDataDeps } from './master-data.ts';

export interface ServiceRequestStep {
  destinationName: string;
  destination: SatusehatDestinationConfig;
  accession: string;
  /** The local order, when there is one (an ImagingStudy's `basedOn` may name none). */
  local: ServiceRequest | undefined;
  /** Who asked: `ImagingStudy/<id>` or `ServiceRequest/<id>`, for messages. */
  owner: string;
  /** Resolved only when the order has to be created. */
  patientIhs: () => Promise<string>;
  studyModalities?: readonly string[];
}

/**
 * The SATUSEHAT ServiceRequest with the accession number (§3, searched the way the official router
 * does). Usually the SIMRS sent it; when it did not, it is created from the local order if the
 * destination says so (`createServiceRequest`), else the delivery waits for the SIMRS (retryable).
 */
export async function ensureServiceRequest(deps: MasterDataDeps, step: ServiceRequestStep): Promise<{ id: string; created: boolean }> {
  const { destination, accession } = step;
  const found = await deps.client.findByIdentifier('ServiceRequest', accessionSystem(destination.organizationId), accession, `the search of the ServiceRequest with accession ${accession}`);
  if (found !== undefined) return { id: found.id, created: false };
  if (!destination.createServiceRequest) {
    throw new RetryableDeliveryError(
      `SATUSEHAT has no ServiceRequest with accession ${accession} (${accessionSystem(destination.organizationId)}) for ${step.owner}; ` +
        `the SIMRS sends it first (or set createServiceRequest: true on destination ${step.destinationName})`,
    );
  }
  if (step.local === undefined) {
    throw new RetryableDeliveryError(
      `SATUSEHAT has no ServiceRequest with accession ${accession} and ${step.owner} is not based on a local ServiceRequest to create it from`,
    );
  }
  const local = step.local;
  const owner = `ServiceRequest/${local.id}`;
  const patientIhs = await step.patientIhs();
  const requesterIhs = await resolvePractitioner(deps, local.requester, owner, 'requester');
  const performerIhs = await resolvePractitioner(deps, local.performer?.[0], owner, 'performer');
  const body = buildServiceRequest({
    local,
    organizationId: destination.organizationId,
    accession,
    patientIhs,
    ...(requesterIhs ? { requesterIhs } : {}),
    ...(performerIhs ? { performerIhs } : {}),
    ...(step.studyModalities ? { studyModalities: step.studyModalities } : {}),
  });
  const created = await deps.client.write(body, undefined, `the creation of the ServiceRequest with accession ${accession}`);
  return { id: created.id, created: true };
}
