import { Hl7Message } from '@medplum/core';
import type { Encounter, Identifier, Patient, Practitioner, PractitionerRole, ServiceRequest } from '@medplum/fhirtypes';
import { PermanentError, type RisDestinationConfig } from '@simpul/infra';
import type { DeliveryInteraction } from '../runtime/delivery-body.ts';
import { components, escapeHl7, hl7DateTime, hl7Timestamp } from './hl7-text.ts';
import {
  accessionIdentifier,
  administrativeSex,
  codedElement,
  eiIdentifier,
  hasIdentifierType,
  identifierAuthority,
  nameComponents,
  orderControl,
  orderModality,
  orderPriority,
  orderStatus,
  patientClass,
  patientIdentifierList,
  preferredName,
  stationAeTitle,
  studyInstanceUid,
  withValue,
  type OrderControl,
} from './order-fields.ts';

/**
 * ServiceRequest (+ Patient, requester, Encounter) → ORM^O01 or OMI^O23, as text with the standard
 * delimiters. Pure: the caller reads the resources and passes the clock.
 *
 * Version shapes:
 * - 2.3: MSH-9 `ORM^O01` (no message structure component before 2.3.1).
 * - 2.3.1–2.6, ORM: MSH-9 with structure; start time and priority in ORC-7 / OBR-27 (TQ).
 * - 2.7–2.8, ORM: ORC-7 / OBR-27 were withdrawn, so a TQ1 follows the ORC (the OMG/OMI layout).
 * - OMI^O23 (2.5 and later only): TQ1 and IPC (accession, requested procedure and step ids, study
 *   UID, modality, station AE title), no TQ in ORC-7 / OBR-27.
 */

export type OrderMessageSettings = Pick<
  RisDestinationConfig,
  'messageType' | 'version' | 'sendingApplication' | 'sendingFacility' | 'receivingApplication' | 'receivingFacility' | 'placerOrderSystem' | 'patientIdentifierSystem'
>;

/** Who ordered: the Practitioner (read directly or through the PractitionerRole), or only a display text. */
export interface OrderRequester {
  readonly practitioner?: Practitioner;
  readonly role?: PractitionerRole;
  readonly display?: string;
}

export interface OrderMessageInput {
  readonly serviceRequest: ServiceRequest;
  readonly patient: Patient;
  readonly requester?: OrderRequester;
  readonly encounter?: Encounter;
  readonly interaction: DeliveryInteraction;
  readonly controlId: string;
  readonly now: Date;
}

export interface OrderMessage {
  readonly message: Hl7Message;
  readonly text: string;
  /** `ORM^O01` or `OMI^O23`. */
  readonly messageType: RisDestinationConfig['messageType'];
  readonly orderControl: OrderControl;
  readonly controlId: string;
}

/** A problem with the settings themselves (not the order), or undefined. */
export function settingsProblem(settings: Pick<OrderMessageSettings, 'messageType' | 'version'>): string | undefined {
  if (settings.messageType === 'OMI^O23' && compareVersion(settings.version, '2.5') < 0) {
    return `messageType OMI^O23 exists from HL7 2.5 on, but version is ${settings.version}: set version to 2.5 or later, or messageType to ORM^O01`;
  }
  return undefined;
}

export function buildOrderMessage(input: OrderMessageInput, settings: OrderMessageSettings): OrderMessage {
  const problem = settingsProblem(settings);
  if (problem) throw new PermanentError(problem);
  if (!/^[A-Za-z0-9._-]{1,20}$/.test(input.controlId)) throw new Error(`control id "${input.controlId}" is not 1-20 letters, digits, ".", "_" or "-"`);

  const request = input.serviceRequest;
  const requestName = `ServiceRequest/${request.id ?? '(no id)'}`;
  const omi = settings.messageType === 'OMI^O23';
  const legacyTiming = !omi && compareVersion(settings.version, '2.7') < 0;
  const control = orderControl(input.interaction, request.status);

  const patientIds = patientIdentifierList(input.patient, settings.patientIdentifierSystem);
  if (patientIds.length === 0) {
    throw new PermanentError(
      settings.patientIdentifierSystem
        ? `Patient/${input.patient.id} has no identifier with system ${settings.patientIdentifierSystem} (patientIdentifierSystem) to send in PID-3`
        : `Patient/${input.patient.id} has no identifier with a value to send in PID-3`,
    );
  }
  const code = codedElement(request.code);
  if (!code) throw new PermanentError(`${requestName} has no code (coding or text) to send as the procedure in OBR-4`);

  const placer = placerNumber(request, settings);
  const accession = accessionIdentifier(request);
  const filler = accession ? eiIdentifier(accession) : '';
  const start = hl7DateTime(request.occurrenceDateTime ?? request.occurrencePeriod?.start);
  const priority = orderPriority(request.priority);
  const timing = legacyTiming ? components(undefined, undefined, undefined, start, undefined, priority) : '';
  const requester = requesterXcn(input.requester);
  const modality = orderModality(request);
  const [structure, trigger] = omi ? ['OMI_O23', 'OMI^O23'] : ['ORM_O01', 'ORM^O01'];

  const segments: string[] = [];
  segments.push(
    segment('MSH', {
      1: '^~\\&',
      2: escapeHl7(settings.sendingApplication),
      3: escapeHl7(settings.sendingFacility),
      4: escapeHl7(settings.receivingApplication),
      5: escapeHl7(settings.receivingFacility),
      6: hl7Timestamp(input.now),
      8: compareVersion(settings.version, '2.3.1') < 0 ? trigger : `${trigger}^${structure}`,
      9: input.controlId,
      10: 'P',
      11: settings.version,
    }),
  );
  const name = nameComponents(preferredName(input.patient.name));
  segments.push(
    segment('PID', {
      1: '1',
      3: patientIds.join('~'),
      5: components(...name),
      7: hl7DateTime(input.patient.birthDate),
      8: administrativeSex(input.patient.gender),
    }),
  );
  const visit = withValue(input.encounter?.identifier)[0];
  segments.push(
    segment('PV1', {
      1: '1',
      2: patientClass(input.encounter?.class?.code),
      3: input.encounter?.location?.[0]?.location?.display ? components(input.encounter.location[0].location.display) : undefined,
      19: visit ? components(visit.value, undefined, undefined, identifierAuthority(visit)) : undefined,
    }),
  );
  segments.push(
    segment('ORC', {
      1: control,
      2: placer,
      3: filler,
      5: orderStatus(input.interaction, request.status),
      7: timing,
      9: hl7DateTime(request.meta?.lastUpdated) ?? hl7Timestamp(input.now),
      12: requester,
    }),
  );
  if (!legacyTiming) {
    segments.push(segment('TQ1', { 1: '1', 7: start, 9: priority }));
  }
  const reason = codedElement(request.reasonCode?.[0]);
  segments.push(
    segment('OBR', {
      1: '1',
      2: placer,
      3: filler,
      4: code,
      7: start,
      16: requester,
      18: accession ? escapeHl7(accession.value) : undefined,
      24: modality ? escapeHl7(modality) : undefined,
      27: timing,
      31: reason,
    }),
  );
  if (omi) {
    const procedureId = placer.split('^')[0];
    const uid = studyInstanceUid(request);
    const station = stationAeTitle(request);
    segments.push(
      segment('IPC', {
        1: filler,
        2: procedureId,
        3: uid ? escapeHl7(uid) : undefined,
        4: procedureId,
        5: modality ? components(modality, undefined, 'DCM') : undefined,
        9: station ? escapeHl7(station) : undefined,
      }),
    );
  }
  const text = segments.join('\r');
  return { message: Hl7Message.parse(text), text, messageType: settings.messageType, orderControl: control, controlId: input.controlId };
}

/**
 * ORC-2 / OBR-2: the identifier of `placerOrderSystem`, else the first identifier that is not the
 * accession number, else the first one; an order with no number at all is placed under our own
 * name with the hub's id (we are then the placer).
 */
function placerNumber(request: ServiceRequest, settings: OrderMessageSettings): string {
  const identifiers = withValue(request.identifier);
  if (settings.placerOrderSystem) {
    const configured = identifiers.find((identifier) => identifier.system === settings.placerOrderSystem);
    if (!configured) {
      throw new PermanentError(
        `ServiceRequest/${request.id} has no identifier with system ${settings.placerOrderSystem} (placerOrderSystem) to send as the placer order number in ORC-2`,
      );
    }
    return eiIdentifier(configured);
  }
  const chosen: Identifier & { value: string } | undefined = identifiers.find((identifier) => !hasIdentifierType(identifier, 'ACSN')) ?? identifiers[0];
  if (chosen) return eiIdentifier(chosen);
  if (!request.id) throw new PermanentError('the ServiceRequest has neither an identifier nor an id to send as the placer order number');
  return components(request.id, settings.sendingApplication);
}

/** XCN `id^family^given^further^suffix^prefix^^^authority` for ORC-12 / OBR-16. */
function requesterXcn(requester: OrderRequester | undefined): string | undefined {
  if (!requester) return undefined;
  const practitioner = requester.practitioner;
  const id = withValue(practitioner?.identifier)[0] ?? withValue(requester.role?.identifier)[0];
  const name = preferredName(practitioner?.name);
  const display = requester.display ?? requester.role?.practitioner?.display;
  const nameParts = name ? nameComponents(name) : display ? [display] : [];
  if (!id && nameParts.every((part) => !part)) return undefined;
  const parts = [id?.value, ...nameParts];
  while (parts.length < 6) parts.push(undefined);
  if (id) parts.push(undefined, undefined, identifierAuthority(id));
  return components(...parts);
}

/** Fields 1..n of a segment (MSH counts from MSH-2, the encoding characters); trailing empty fields dropped. */
function segment(name: string, fields: Record<number, string | undefined>): string {
  const last = Math.max(0, ...Object.keys(fields).map(Number).filter((index) => fields[index]));
  const values: string[] = [];
  for (let index = 1; index <= last; index++) values.push(fields[index] ?? '');
  return [name, ...values].join('|');
}

/** Compares HL7 versions numerically (`2.3.1` < `2.5` < `2.5.1`). */
export function compareVersion(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
