import type { Bundle, Identifier, ImagingStudy, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { tokenValue } from '../hl7/transaction-builder.ts';
import { HubRequestError, type HubClient } from './hub-client.ts';

/**
 * ImagingStudy.basedOn points at the ServiceRequest with the same accession number. Images and orders
 * arrive in either order, possibly at the same moment, so both sides link after they write: the DICOM
 * ingest looks for the order after writing the study, the HL7 ingest looks for studies after writing
 * the order. Each reads after its own write, so whichever commits second sees the other.
 */

const MAX_ATTEMPTS = 8;

/** An order the transaction wrote, with its accession number. */
export interface WrittenOrder {
  readonly reference: string;
  readonly accession: Identifier;
}

/** The ServiceRequests with an ACSN identifier in a transaction and its response (entries correspond by index). */
export function ordersWritten(bundle: Bundle, response: Bundle): WrittenOrder[] {
  const orders: WrittenOrder[] = [];
  (bundle.entry ?? []).forEach((entry, index) => {
    if (entry.resource?.resourceType !== 'ServiceRequest') return;
    const accession = (entry.resource as ServiceRequest).identifier?.find(isAccession);
    const location = response.entry?.[index]?.response?.location;
    if (!accession?.system || !accession.value || !location) return;
    orders.push({ reference: location.split('/_history/')[0].split('/').slice(-2).join('/'), accession });
  });
  return orders;
}

/** Adds the order to `basedOn` of every study with its accession number that lacks it. Returns the studies changed. */
export async function linkStudiesToOrder(hub: HubClient, order: WrittenOrder): Promise<string[]> {
  const query = `identifier=${tokenValue(order.accession.system ?? '', order.accession.value ?? '')}`;
  const linked: string[] = [];
  for (const study of await hub.search<ImagingStudy>('ImagingStudy', query)) {
    if (study.id && (await addBasedOn(hub, study, { reference: order.reference }))) linked.push(`ImagingStudy/${study.id}`);
  }
  return linked;
}

/** The ServiceRequest with this accession number, if the hub has exactly one. */
export async function findOrderByAccession(hub: HubClient, accessionSystem: string, accessionNumber: string): Promise<Reference<ServiceRequest> | undefined> {
  const orders = await hub.search<ServiceRequest>('ServiceRequest', `identifier=${tokenValue(accessionSystem, accessionNumber)}&_count=2`);
  return orders.length === 1 && orders[0].id ? { reference: `ServiceRequest/${orders[0].id}` } : undefined;
}

/**
 * Adds `order` to the study's basedOn with a version-checked update; on 412 reads the study again and
 * retries. Returns false when it was already there.
 */
export async function addBasedOn(hub: HubClient, study: ImagingStudy, order: Reference<ServiceRequest>): Promise<boolean> {
  let current = study;
  for (let attempt = 1; ; attempt++) {
    if (current.basedOn?.some((ref) => ref.reference === order.reference)) return false;
    const id = current.id;
    const versionId = current.meta?.versionId;
    if (!id || !versionId) throw new Error('addBasedOn needs a stored study with its version');
    try {
      await hub.update({ ...current, id, basedOn: [...(current.basedOn ?? []), order] }, versionId);
      return true;
    } catch (error) {
      if (!(error instanceof HubRequestError) || error.status !== 412 || attempt >= MAX_ATTEMPTS) throw error;
      const [fresh] = await hub.search<ImagingStudy>('ImagingStudy', `_id=${encodeURIComponent(id)}`);
      if (!fresh) return false;
      current = fresh;
    }
  }
}

function isAccession(identifier: Identifier): boolean {
  return identifier.type?.coding?.some((coding) => coding.code === 'ACSN') === true;
}
