import { MappingError } from './mapping-error.ts';
import type { SegmentView } from './segment-view.ts';

/** What MSH says about the message. */
export interface MessageHeader {
  readonly msh: SegmentView;
  /** MSH-9.1, e.g. `ADT`. */
  readonly messageCode: string;
  /** MSH-9.2, e.g. `A01`. */
  readonly triggerEvent: string;
  /** `ADT^A01`. */
  readonly messageType: string;
  /** MSH-9.3 when sent (2.3.1+), e.g. `ADT_A01`. */
  readonly structure: string;
  /** MSH-10. */
  readonly controlId: string;
  /** MSH-12, e.g. `2.5.1`. */
  readonly version: string;
  /** MSH-3 and MSH-4 as `application^facility`. */
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  /** MSH-7 as sent. */
  readonly dateTime: string;
}

/** Versions whose mappings have fixtures; others are mapped the same way with a warning. */
export const TESTED_VERSIONS: readonly string[] = ['2.3', '2.3.1', '2.4', '2.5', '2.5.1'];

export function readMessageHeader(msh: SegmentView | undefined): MessageHeader {
  if (!msh || msh.name !== 'MSH') {
    throw new MappingError({ field: 'MSH', reason: 'the message does not start with an MSH segment' });
  }
  const messageCode = msh.value(9, 1).toUpperCase();
  const triggerEvent = msh.value(9, 2).toUpperCase();
  if (!messageCode) {
    throw new MappingError({ field: 'MSH-9', reason: 'the message type is empty' });
  }
  const version = msh.value(12, 1);
  if (version && !/^2(\.\d+){1,2}$/.test(version)) {
    throw new MappingError({ field: 'MSH-12', reason: `"${version}" is not an HL7 v2 version` });
  }
  return {
    msh,
    messageCode,
    triggerEvent,
    messageType: triggerEvent ? `${messageCode}^${triggerEvent}` : messageCode,
    structure: msh.value(9, 3),
    controlId: msh.value(10),
    version,
    sendingApplication: msh.value(3),
    sendingFacility: msh.value(4),
    dateTime: msh.value(7),
  };
}
