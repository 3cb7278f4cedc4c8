import type { ServiceRequest } from '@medplum/fhirtypes';
import { MappingError } from './mapping-error.ts';
import type { MappingSession } from './mapping-session.ts';
import type { EncounterContext } from './map-encounter.ts';
import { mapEncounter } from './map-encounter.ts';
import type { PatientContext } from './map-patient.ts';
import { mapPatient } from './map-patient.ts';
import { mapServiceRequest, orderIdentifiers } from './map-service-request.ts';
import type { OrderGroup } from './order-groups.ts';
import { orderGroups, patientGroups } from './order-groups.ts';
import type { SegmentView } from './segment-view.ts';
import { identifierSearch } from './transaction-builder.ts';
import { FHIR } from './v2-code-tables.ts';

/**
 * Order control (ORC-1, table 0119) → ServiceRequest status. `from-order-status` reads ORC-5
 * (table 0038): a status-changed (SC) message says what the new status is there.
 */
const ORDER_CONTROL: Readonly<Record<string, ServiceRequest['status'] | 'from-order-status'>> = {
  NW: 'active',
  OK: 'active',
  XO: 'active',
  XX: 'active',
  RL: 'active',
  SN: 'active',
  CA: 'revoked',
  CR: 'revoked',
  OC: 'revoked',
  DC: 'revoked',
  OD: 'revoked',
  DR: 'revoked',
  HD: 'on-hold',
  OH: 'on-hold',
  SC: 'from-order-status',
  SS: 'from-order-status',
};

/** Controls that carry new order content; the others may come as a bare ORC that only changes the status. */
const NEEDS_ORDER_CONTENT = new Set(['NW', 'OK', 'XO', 'XX', 'SN']);

/**
 * ORM^O01 and OMI^O23 → one ServiceRequest per order (ORC + OBR): created or replaced on NW/XO,
 * its status changed on CA/DC/HD/SC. A status-only ORC (no OBR) becomes a conditional JSON Patch
 * of `status`, so it cannot wipe the order's content; patching an order the hub has never seen
 * fails the transaction (a cancel of an unknown order is an error worth seeing).
 */
export function mapOrderMessage(session: MappingSession): PatientContext {
  const patients = patientGroups(session.segments);
  if (patients.length === 0) {
    throw new MappingError({ field: 'PID', reason: `${session.header.messageType} has no PID segment` });
  }
  let first: PatientContext | undefined;
  for (const group of patients) {
    const patient = mapPatient(session, group.pid, 'ensure');
    first ??= patient;
    const encounter = group.pv1 ? mapEncounter(session, group.pv1, group.pv2, patient, { write: 'ensure', status: 'unknown', locationStatus: 'active' }) : undefined;
    const orders = orderGroups(group.segments);
    if (orders.length === 0) {
      throw new MappingError({ field: 'ORC', reason: `${session.header.messageType} has no order (ORC/OBR) for patient ${patient.identifier.value}` });
    }
    for (const order of orders) {
      mapOrder(session, order, patient, encounter);
    }
  }
  return first as PatientContext;
}

function mapOrder(session: MappingSession, order: OrderGroup, patient: PatientContext, encounter: EncounterContext | undefined): void {
  const control = order.orc?.value(1).toUpperCase() ?? 'NW';
  const status = orderStatus(session, control, order.orc);
  const identifiers = orderIdentifiers(session, order);
  if (!identifiers) {
    throw new MappingError({ field: 'ORC-2', reason: 'the order has no placer, filler or accession number', occurrence: order.orc?.occurrence });
  }
  if (order.obr) {
    mapServiceRequest(session, { ...order, obr: order.obr }, identifiers, { patient, encounter }, { status, write: 'replace' });
    return;
  }
  if (NEEDS_ORDER_CONTENT.has(control)) {
    throw new MappingError({ field: 'OBR', reason: `order control ${control} needs an OBR segment`, occurrence: order.orc?.occurrence });
  }
  session.bundle.patch('ServiceRequest', identifierSearch(identifiers.key.system, identifiers.key.value), [{ op: 'replace', path: '/status', value: status }]);
}

function orderStatus(session: MappingSession, control: string, orc: SegmentView | undefined): ServiceRequest['status'] {
  const status = ORDER_CONTROL[control];
  if (!status) {
    throw new MappingError({ field: 'ORC-1', reason: `order control "${control}" is not supported`, occurrence: orc?.occurrence });
  }
  if (status !== 'from-order-status') {
    return status;
  }
  const orderStatusCode = orc?.value(5) ?? '';
  const mapped = session.tableCode('ORC-5', '0038', orderStatusCode, FHIR.requestStatus);
  if (!mapped) {
    session.warn('ORC-5', orderStatusCode ? `order status "${orderStatusCode}" unknown; status set to active` : 'no order status; status set to active');
  }
  return (mapped ?? 'active') as ServiceRequest['status'];
}
