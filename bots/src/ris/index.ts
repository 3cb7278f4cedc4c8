/**
 * The RIS destination driver: a ServiceRequest create, update, cancel or delete becomes an
 * ORM^O01 (or OMI^O23) sent over MLLP, and the RIS's application ACK decides the outcome
 * (AA/CA delivered; AE/CE retried with the ERR text; AR/CR dead-lettered with it). ImagingStudies
 * are not for a RIS. MSH-10 is derived from the idempotency key, so a retry or replay of one
 * delivery carries the same control id and a RIS that keeps ids can drop the duplicate; an
 * attempt that finds its control id already acknowledged in `progress` does not send again.
 */
import { getStatus, isOperationOutcome, OperationOutcomeError, type MedplumClient } from '@medplum/core';
import type { Encounter, Patient, Practitioner, PractitionerRole, Reference, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { PermanentError, type RisDestinationConfig } from '@simpul/infra';
import { RetryableDeliveryError, type DeliveryContext, type DeliveryResult, type DestinationDriver } from '../routing/destination-driver.ts';
import { buildOrderMessage, settingsProblem, type OrderRequester } from './build-order-message.ts';
import { controlIdFor, orderControl } from './order-fields.ts';
import { readAck, type AcceptedAck } from './read-ack.ts';
import { RisConnectionPool } from './ris-connection.ts';

export { buildOrderMessage, compareVersion, settingsProblem, type OrderMessage, type OrderMessageInput, type OrderMessageSettings, type OrderRequester } from './build-order-message.ts';
export { controlIdFor, orderControl, orderPriority, type OrderControl } from './order-fields.ts';
export { readAck, ackText, type AcceptedAck } from './read-ack.ts';
export { escapeHl7, unescapeHl7 } from './hl7-text.ts';

export interface RisDriver {
  readonly deliver: DestinationDriver<RisDestinationConfig>;
  /** Closes every connection this driver opened. */
  close(): Promise<void>;
}

/** A driver with its own connections (one per destination), for a worker or a test. */
export function createRisDriver(): RisDriver {
  const pool = new RisConnectionPool();
  return {
    deliver: (context) => deliver(context, pool),
    close: () => pool.closeAll(),
  };
}

const defaultDriver = createRisDriver();

/** The worker's RIS driver: connections are reused across its deliveries. */
export const deliverToRis: DestinationDriver<RisDestinationConfig> = defaultDriver.deliver;

/** Closes the connections `deliverToRis` holds (worker shutdown). */
export function closeRisConnections(): Promise<void> {
  return defaultDriver.close();
}

async function deliver(context: DeliveryContext<RisDestinationConfig>, pool: RisConnectionPool): Promise<DeliveryResult> {
  const { resource, destination, destinationName } = context;
  if (resource.resourceType !== 'ServiceRequest') {
    return { notApplicable: true, summary: `a RIS takes orders (ServiceRequest), not ${resource.resourceType}` };
  }
  const problem = settingsProblem(destination);
  if (problem) throw new PermanentError(`routing.destinations.${destinationName}: ${problem}`);

  const controlId = controlIdFor(context.idempotencyKey);
  const control = orderControl(context.interaction, resource.status);
  const fields = { destination: destinationName, serviceRequest: `ServiceRequest/${resource.id}`, controlId, message: `${destination.messageType} ${control}`, attempt: context.attempt, traceId: context.traceId };
  if (context.progress.remoteIds.controlId === controlId) {
    context.logger.info(fields, 'order already acknowledged by the RIS in an earlier attempt; not sent again');
    return { summary: `${destination.messageType} ${control} already acknowledged (control id ${controlId})`, remoteIds: { controlId } };
  }

  const warnings: string[] = [];
  const related = await readRelated(context.medplum, resource, warnings);
  const built = buildOrderMessage(
    { serviceRequest: resource, ...related, interaction: context.interaction, controlId, now: new Date() },
    destination,
  );
  const what = `${built.messageType} ${built.orderControl}`;

  const connection = pool.get(destinationName, destination.host, destination.port, destination.timeoutMs);
  context.logger.debug(fields, 'sending order to the RIS');
  let ack: AcceptedAck;
  try {
    const reply = await connection.exchange(built.message, { timeoutMs: destination.timeoutMs, signal: context.signal });
    ack = readAck(reply, controlId);
  } catch (error) {
    context.logger.warn({ ...fields, err: error instanceof Error ? error.message : String(error) }, 'RIS did not accept the order');
    throw error;
  }
  const remoteIds: Record<string, string> = { controlId };
  if (ack.fillerOrderNumber) remoteIds.fillerOrderNumber = ack.fillerOrderNumber;
  await context.checkpoint({ remoteIds, ...(warnings.length > 0 ? { warnings } : undefined) });
  context.logger.info({ ...fields, ack: ack.code }, 'order acknowledged by the RIS');
  return { summary: `${what} acknowledged ${ack.code} (control id ${controlId})`, remoteIds, ...(warnings.length > 0 ? { warnings } : undefined) };
}

interface RelatedResources {
  patient: Patient;
  requester?: OrderRequester;
  encounter?: Encounter;
}

/**
 * The order's Patient (required), requester and Encounter (optional: one that cannot be found is a
 * warning and the message goes without it).
 */
async function readRelated(medplum: MedplumClient, request: ServiceRequest, warnings: string[]): Promise<RelatedResources> {
  const owner = `ServiceRequest/${request.id}`;
  const subject = request.subject?.reference;
  if (!subject) throw new PermanentError(`${owner} has no subject reference; the RIS needs the Patient (PID)`);
  if (!subject.startsWith('Patient/')) throw new PermanentError(`${owner} subject is ${subject}, not a Patient; the RIS needs a Patient (PID)`);
  const patient = await read<Patient>(medplum, request.subject as Reference<Patient>, `${owner} subject`);
  if (!patient) throw new PermanentError(`${owner} subject ${subject} is not in the hub (not found or deleted)`);

  const related: RelatedResources = { patient };
  const requester = await readRequester(medplum, request, owner, warnings);
  if (requester) related.requester = requester;
  const encounterReference = request.encounter?.reference;
  if (encounterReference) {
    const encounter = await read<Encounter>(medplum, request.encounter as Reference<Encounter>, `${owner} encounter`);
    if (encounter) related.encounter = encounter;
    else warnings.push(`${owner} encounter ${encounterReference} is not in the hub; PV1 sent without it`);
  }
  return related;
}

async function readRequester(medplum: MedplumClient, request: ServiceRequest, owner: string, warnings: string[]): Promise<OrderRequester | undefined> {
  const reference = request.requester?.reference;
  const display = request.requester?.display;
  if (!reference) return display ? { display } : undefined;
  if (reference.startsWith('Practitioner/')) {
    const practitioner = await read<Practitioner>(medplum, request.requester as Reference<Practitioner>, `${owner} requester`);
    if (practitioner) return { practitioner, display };
  } else if (reference.startsWith('PractitionerRole/')) {
    const role = await read<PractitionerRole>(medplum, request.requester as Reference<PractitionerRole>, `${owner} requester`);
    if (role) {
      const practitionerReference = role.practitioner?.reference;
      const practitioner = practitionerReference?.startsWith('Practitioner/')
        ? await read<Practitioner>(medplum, role.practitioner as Reference<Practitioner>, `PractitionerRole/${role.id} practitioner`)
        : undefined;
      if (practitionerReference && !practitioner) warnings.push(`PractitionerRole/${role.id} practitioner ${practitionerReference} is not in the hub`);
      return { role, ...(practitioner ? { practitioner } : undefined), display };
    }
  } else {
    return display ? { display } : undefined;
  }
  warnings.push(`${owner} requester ${reference} is not in the hub; ORC-12/OBR-16 sent ${display ? 'with its display only' : 'empty'}`);
  return display ? { display } : undefined;
}

/**
 * Reads a referenced resource: undefined when the hub says it is not there (404/410); a refusal
 * the bot's client cannot get past (400/401/403) is permanent; anything else (5xx, 429, network)
 * is retried.
 */
async function read<T extends Resource>(medplum: MedplumClient, reference: Reference<T>, what: string): Promise<T | undefined> {
  try {
    return await medplum.readReference(reference);
  } catch (error) {
    const status = error instanceof OperationOutcomeError || isOperationOutcome((error as { outcome?: unknown })?.outcome)
      ? getStatus((error as OperationOutcomeError).outcome)
      : undefined;
    if (status === 404 || status === 410) return undefined;
    const text = error instanceof Error ? error.message : String(error);
    if (status === 400 || status === 401 || status === 403) {
      throw new PermanentError(`reading ${what} ${reference.reference} was refused (${status}): ${text}`, { cause: error });
    }
    throw new RetryableDeliveryError(`reading ${what} ${reference.reference} failed${status ? ` (${status})` : ''}: ${text}`, { cause: error });
  }
}
