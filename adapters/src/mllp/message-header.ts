import type { Hl7Message, Hl7Segment } from '@medplum/core';

/**
 * The MSH fields the edge reads, as raw field text (HL7 escape sequences left as they are).
 * Works on any object with Hl7Message's shape, including those built by `@medplum/hl7`'s own
 * copy of `@medplum/core` (no `instanceof`).
 */
export interface MessageHeader {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-7, first component. */
  dateTime: string;
  /** MSH-9.1, upper case. */
  messageCode: string;
  /** MSH-9.2, upper case. */
  triggerEvent: string;
  /** MSH-9.3. */
  messageStructure: string;
  /** `ADT^A01` (just `ADT` without an event). */
  messageType: string;
  controlId: string;
  /** MSH-11.1. */
  processingId: string;
  /** MSH-12.1. */
  version: string;
  /** MSH-15 and MSH-16: an empty pair means original acknowledgment mode. */
  acceptAckType: string;
  applicationAckType: string;
  /** MSH-18, first repetition. */
  charset: string;
}

export type AckMode = 'original' | 'enhanced';

export function readHeader(message: Pick<Hl7Message, 'getSegment'>): MessageHeader | undefined {
  const msh = message.getSegment('MSH');
  if (!msh) return undefined;
  const messageCode = component(msh, 9, 1).toUpperCase();
  const triggerEvent = component(msh, 9, 2).toUpperCase();
  return {
    sendingApplication: field(msh, 3),
    sendingFacility: field(msh, 4),
    receivingApplication: field(msh, 5),
    receivingFacility: field(msh, 6),
    dateTime: component(msh, 7, 1),
    messageCode,
    triggerEvent,
    messageStructure: component(msh, 9, 3),
    messageType: triggerEvent ? `${messageCode}^${triggerEvent}` : messageCode,
    controlId: field(msh, 10),
    processingId: component(msh, 11, 1),
    version: component(msh, 12, 1),
    acceptAckType: field(msh, 15).toUpperCase(),
    applicationAckType: field(msh, 16).toUpperCase(),
    charset: component(msh, 18, 1),
  };
}

/** Enhanced mode as soon as MSH-15 or MSH-16 is valued (HL7 v2 chapter 2, acknowledgment modes). */
export function ackModeOf(header: Pick<MessageHeader, 'acceptAckType' | 'applicationAckType'>): AckMode {
  return header.acceptAckType !== '' || header.applicationAckType !== '' ? 'enhanced' : 'original';
}

// Hl7Segment.getField returns undefined past the last field, whatever its type says.
function field(segment: Hl7Segment, index: number): string {
  return (segment.getField(index) as ReturnType<Hl7Segment['getField']> | undefined)?.toString() ?? '';
}

function component(segment: Hl7Segment, index: number, position: number): string {
  const value = segment.getField(index) as ReturnType<Hl7Segment['getField']> | undefined;
  if (!value || value.components.length === 0) return '';
  return value.getComponent(position);
}
