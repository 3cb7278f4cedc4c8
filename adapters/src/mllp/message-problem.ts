/**
 * What can be wrong with an inbound message, in HL7's own vocabulary: the ERR-3 codes of HL7
 * table 0357 that the edge uses, a location (ERR-2, e.g. `MSH^1^9`) and a sentence for ERR-8.
 *
 * `reject` problems are in the message itself: sending it again cannot help, so the answer is
 * AR (original mode) or CR (enhanced mode). `error` problems are ours (the bus is down): the
 * answer is AE or CE so the sender keeps the message and retries.
 */

export const HL7_ERROR_CODES = {
  segmentSequence: { code: '100', text: 'Segment sequence error' },
  requiredFieldMissing: { code: '101', text: 'Required field missing' },
  dataType: { code: '102', text: 'Data type error' },
  tableValueNotFound: { code: '103', text: 'Table value not found' },
  unsupportedMessageType: { code: '200', text: 'Unsupported message type' },
  unsupportedEventCode: { code: '201', text: 'Unsupported event code' },
  unsupportedVersion: { code: '203', text: 'Unsupported version id' },
  internalError: { code: '207', text: 'Application internal error' },
} as const;

export type Hl7ErrorCode = (typeof HL7_ERROR_CODES)[keyof typeof HL7_ERROR_CODES];

/** ERR-2 (ERL): segment id, its occurrence in the message (1 = first), and the field number if any. */
export interface ErrorLocation {
  segment: string;
  sequence: number;
  field?: number;
}

export interface MessageProblem {
  severity: 'reject' | 'error';
  error: Hl7ErrorCode;
  location?: ErrorLocation;
  /** For the sender's operator (ERR-8, MSA-3) and our log: names the problem and the value. */
  text: string;
}

export function rejectProblem(error: Hl7ErrorCode, location: ErrorLocation | undefined, text: string): MessageProblem {
  return { severity: 'reject', error, location, text };
}

export function mshLocation(field?: number): ErrorLocation {
  return { segment: 'MSH', sequence: 1, field };
}

/** `MSH^1^9` style, for logs. */
export function formatLocation(location: ErrorLocation | undefined): string | undefined {
  if (!location) return undefined;
  return [location.segment, location.sequence, location.field].filter((part) => part !== undefined).join('^');
}
