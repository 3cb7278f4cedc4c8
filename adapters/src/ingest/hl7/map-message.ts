import { Hl7Message } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import type { CodeTranslator } from './code-translator.ts';
import { MappingError } from './mapping-error.ts';
import type { MappingWarning, UnmappedCode } from './mapping-session.ts';
import { MappingSession } from './mapping-session.ts';
import { ADT_EVENTS, mapAdtMessage } from './map-adt.ts';
import { mapAppointmentMessage, SIU_EVENTS } from './map-appointment.ts';
import { mapMergeMessage } from './map-merge.ts';
import { mapOrderMessage } from './map-order.ts';
import type { PatientContext } from './map-patient.ts';
import { appendProvenance } from './map-provenance.ts';
import { mapResultMessage } from './map-result.ts';
import type { Hl7SourceMapping } from './source-config.ts';
import type { ZSegment } from './z-segments.ts';
import { collectZSegments } from './z-segments.ts';

export interface MappingContext {
  /** The source's mapping config, parsed with `hl7SourceMappingSchema`. */
  readonly source: Hl7SourceMapping;
  readonly translator: CodeTranslator;
  /** Message store id of the raw message (stable across replays). */
  readonly messageId: string;
  readonly receivedAt: string | Date;
  /** The source name the edge received the message from (the bus routing key's `<source>`). */
  readonly sender: string;
}

export interface MappingResult {
  /** A FHIR transaction of conditional writes, ending with the message's Provenance. */
  readonly bundle: Bundle;
  /** `system|value` of the patient's key identifier: serialise messages per patient on it. */
  readonly patientKey: string;
  /** `ADT^A01`. */
  readonly messageType: string;
  /** MSH-10. */
  readonly controlId: string;
  /** MSH-12. */
  readonly version: string;
  readonly warnings: MappingWarning[];
  readonly unmappedCodes: UnmappedCode[];
  readonly zSegments: ZSegment[];
}

type MessageMapper = (session: MappingSession) => PatientContext;

/** Message type → mapper, with the v2 table 0003 display of the event for Provenance.activity. */
const MESSAGE_TYPES: Readonly<Record<string, { readonly display: string; readonly map: MessageMapper }>> = {
  'ADT^A01': { display: 'Admit/visit notification', map: (s) => mapAdtMessage(s, ADT_EVENTS.A01) },
  'ADT^A02': { display: 'Transfer a patient', map: (s) => mapAdtMessage(s, ADT_EVENTS.A02) },
  'ADT^A03': { display: 'Discharge/end visit', map: (s) => mapAdtMessage(s, ADT_EVENTS.A03) },
  'ADT^A04': { display: 'Register a patient', map: (s) => mapAdtMessage(s, ADT_EVENTS.A04) },
  'ADT^A05': { display: 'Pre-admit a patient', map: (s) => mapAdtMessage(s, ADT_EVENTS.A05) },
  'ADT^A08': { display: 'Update patient information', map: (s) => mapAdtMessage(s, ADT_EVENTS.A08) },
  'ADT^A11': { display: 'Cancel admit/visit notification', map: (s) => mapAdtMessage(s, ADT_EVENTS.A11) },
  'ADT^A13': { display: 'Cancel discharge/end visit', map: (s) => mapAdtMessage(s, ADT_EVENTS.A13) },
  'ADT^A28': { display: 'Add person information', map: (s) => mapAdtMessage(s, ADT_EVENTS.A28) },
  'ADT^A31': { display: 'Update person information', map: (s) => mapAdtMessage(s, ADT_EVENTS.A31) },
  'ADT^A40': { display: 'Merge patient - patient identifier list', map: mapMergeMessage },
  'ORM^O01': { display: 'Order message', map: mapOrderMessage },
  'OMI^O23': { display: 'Imaging order', map: mapOrderMessage },
  'ORU^R01': { display: 'Unsolicited transmission of an observation message', map: mapResultMessage },
  'SIU^S12': { display: 'Notification of new appointment booking', map: (s) => mapAppointmentMessage(s, SIU_EVENTS.S12) },
  'SIU^S13': { display: 'Notification of appointment rescheduling', map: (s) => mapAppointmentMessage(s, SIU_EVENTS.S13) },
  'SIU^S14': { display: 'Notification of appointment modification', map: (s) => mapAppointmentMessage(s, SIU_EVENTS.S14) },
  'SIU^S15': { display: 'Notification of appointment cancellation', map: (s) => mapAppointmentMessage(s, SIU_EVENTS.S15) },
};

export const SUPPORTED_MESSAGE_TYPES: readonly string[] = Object.keys(MESSAGE_TYPES);

/**
 * Maps one HL7 v2 message to a FHIR transaction. Pure: no network, no clock, no randomness: the
 * same message and context always give the same bundle, so a replay writes the same conditional
 * URLs. Throws MappingError for messages that cannot be mapped (no PID, no patient identifier, an
 * unsupported type, an invalid date).
 */
export function mapHl7Message(message: Hl7Message | string, context: MappingContext): MappingResult {
  const parsed = typeof message === 'string' ? parseMessage(message) : message;
  const session = new MappingSession(parsed, context.source, context.translator);
  const { header } = session;
  const messageType = MESSAGE_TYPES[header.messageType];
  if (!messageType) {
    throw new MappingError({
      field: 'MSH-9',
      reason: `message type ${header.messageType} is not supported (supported: ${SUPPORTED_MESSAGE_TYPES.join(', ')})`,
    });
  }
  const patient = messageType.map(session);
  appendProvenance(session, {
    messageId: context.messageId,
    sender: context.sender,
    recorded: toInstant(context.receivedAt),
    eventDisplay: messageType.display,
  });
  return {
    bundle: session.bundle.build(),
    patientKey: patient.key,
    messageType: header.messageType,
    controlId: header.controlId,
    version: header.version,
    warnings: session.warnings,
    unmappedCodes: session.unmappedCodes,
    zSegments: collectZSegments(session.segments),
  };
}

function parseMessage(text: string): Hl7Message {
  // MLLP framing bytes (VT before, FS after) and blank lines are not part of the message.
  const framing = new Set(['\u000b', '\u001c', '\r', '\n', ' ', '\t']);
  let start = 0;
  let end = text.length;
  while (start < end && framing.has(text[start])) {
    start++;
  }
  while (end > start && framing.has(text[end - 1])) {
    end--;
  }
  const trimmed = text.slice(start, end);
  if (!trimmed.startsWith('MSH')) {
    throw new MappingError({ field: 'MSH', reason: 'the message does not start with an MSH segment' });
  }
  return Hl7Message.parse(trimmed);
}

function toInstant(receivedAt: string | Date): string {
  const date = receivedAt instanceof Date ? receivedAt : new Date(receivedAt);
  if (Number.isNaN(date.getTime())) {
    throw new TypeError(`receivedAt "${String(receivedAt)}" is not a valid time`);
  }
  return date.toISOString();
}
