import { Hl7Message } from '@medplum/core';
import type { Hl7Charset } from './charset.ts';
import { CharsetError, charsetFor, LOSSLESS_CHARSET, SUPPORTED_CHARSETS } from './charset.ts';
import { isHl7DateTime } from './hl7-datetime.ts';
import type { MessageHeader } from './message-header.ts';
import { readHeader } from './message-header.ts';
import type { MessageProblem } from './message-problem.ts';
import { HL7_ERROR_CODES, mshLocation, rejectProblem } from './message-problem.ts';
import { isAcceptedVersion, messageTypeError } from './message-type-filter.ts';
import type { MllpCharset } from './source-settings.ts';

/**
 * What the edge checks before it stores a message (everything else is the ingest worker's job):
 * an MSH first, sane field separator and encoding characters, a charset it can decode, the
 * required MSH fields, a valid MSH-7, a version and message type this source accepts, valid
 * acknowledgment types, segment ids that are segment ids, no control characters, one message per
 * frame, and real dates in the common date fields.
 */

export interface InspectionPolicy {
  messageTypes: readonly string[];
  versions: readonly string[];
  defaultCharset: MllpCharset;
}

export interface AcceptableMessage {
  ok: true;
  /** The message decoded per MSH-18, from its MSH on (CR/LF before it dropped). */
  text: string;
  message: Hl7Message;
  header: MessageHeader;
  charset: Hl7Charset;
}

export interface RejectedMessage {
  ok: false;
  problem: MessageProblem;
  /** Parsed with the message's own separators when those could be trusted (the ACK echoes its MSH). */
  message?: Hl7Message;
  header?: MessageHeader;
  /** MSH-10 as far as it could be read, for MSA-2. */
  controlId: string;
  /** What the ACK is written in. */
  charset: Hl7Charset;
}

export type Inspection = AcceptableMessage | RejectedMessage;

const SEGMENT_BREAK = /\r\n|\r|\n/;
const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;
// C0 controls other than TAB, LF and CR, and DEL: never in HL7 text (binary travels as Base64).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]/;
const VALID_ACK_TYPES = new Set(['', 'AL', 'NE', 'ER', 'SU']);

/** Date/time fields checked at the edge (TS or DTM in every version 2.3-2.8). */
const DATE_FIELDS: readonly { segment: string; field: number }[] = [
  { segment: 'EVN', field: 2 },
  { segment: 'EVN', field: 6 },
  { segment: 'PID', field: 7 },
  { segment: 'PID', field: 29 },
  { segment: 'PV1', field: 44 },
  { segment: 'PV1', field: 45 },
  { segment: 'ORC', field: 9 },
  { segment: 'OBR', field: 7 },
  { segment: 'OBR', field: 22 },
  { segment: 'OBX', field: 14 },
  { segment: 'AIS', field: 4 },
];

export function inspectFrame(frame: Buffer, policy: InspectionPolicy): Inspection {
  const body = frame.subarray(leadingLineBreaks(frame));
  // The MSH segment alone, read losslessly: enough to check the separators and find MSH-18.
  const mshEnd = lineBreakIndex(body);
  const msh = LOSSLESS_CHARSET.decode(mshEnd === -1 ? body : body.subarray(0, mshEnd));
  const framing = checkMshStart(msh);
  if (framing) return { ok: false, problem: framing, controlId: rawControlId(msh), charset: LOSSLESS_CHARSET };

  const msh18 = rawMsh18(msh);
  const charset = charsetFor(msh18, policy.defaultCharset);
  if (!charset) {
    const text = `MSH-18 character set "${msh18}" is not supported (supported: ${SUPPORTED_CHARSETS.join(', ')})`;
    return rejected(rejectProblem(HL7_ERROR_CODES.tableValueNotFound, mshLocation(18), text), losslessMessage(body), LOSSLESS_CHARSET);
  }
  let text: string;
  try {
    text = charset.decode(body);
  } catch (error) {
    if (!(error instanceof CharsetError)) throw error;
    return rejected(rejectProblem(HL7_ERROR_CODES.dataType, mshLocation(18), error.message), losslessMessage(body), LOSSLESS_CHARSET);
  }
  const message = Hl7Message.parse(text);

  const header = readHeader(message);
  if (!header) throw new Error('unreachable: a parsed message that starts with MSH has an MSH segment');
  const problem = checkHeader(header, policy) ?? checkSegments(text, message);
  if (problem) return rejected(problem, message, charset, header);
  return { ok: true, text, message, header, charset };
}

function losslessMessage(body: Buffer): Hl7Message {
  return Hl7Message.parse(LOSSLESS_CHARSET.decode(body));
}

function leadingLineBreaks(frame: Buffer): number {
  let offset = 0;
  while (offset < frame.length && (frame[offset] === 0x0d || frame[offset] === 0x0a)) offset++;
  return offset;
}

function lineBreakIndex(bytes: Buffer): number {
  const cr = bytes.indexOf(0x0d);
  const lf = bytes.indexOf(0x0a);
  return cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
}

/** MSH-18 (first repetition, first component) from the raw MSH segment, whose separators are already checked. */
function rawMsh18(msh: string): string {
  const field = msh.split(msh.charAt(3))[17] ?? '';
  return field.split(msh.charAt(5))[0].split(msh.charAt(4))[0];
}

function rejected(problem: MessageProblem, message: Hl7Message, charset: Hl7Charset, header = readHeader(message)): RejectedMessage {
  return { ok: false, problem, message, header, controlId: header?.controlId ?? '', charset };
}

/** The message starts with MSH, a field separator and four distinct encoding characters. */
function checkMshStart(text: string): MessageProblem | undefined {
  if (!text.startsWith('MSH')) {
    const what = text.length === 0 ? 'the frame is empty' : 'the message does not start with an MSH segment';
    return rejectProblem(HL7_ERROR_CODES.segmentSequence, mshLocation(), what);
  }
  const fieldSeparator = text.charAt(3);
  if (!isSeparator(fieldSeparator)) {
    return rejectProblem(HL7_ERROR_CODES.dataType, mshLocation(1), `MSH-1 field separator ${describeChar(fieldSeparator)} is not valid`);
  }
  const end = firstOf(text, [fieldSeparator, '\r', '\n'], 4);
  const encoding = text.slice(4, end);
  const distinct = new Set([fieldSeparator, ...encoding]).size === encoding.length + 1;
  // Four separators; v2.7+ may add a fifth, the truncation character.
  if ((encoding.length !== 4 && encoding.length !== 5) || !distinct || ![...encoding].every(isSeparator)) {
    return rejectProblem(
      HL7_ERROR_CODES.dataType,
      mshLocation(2),
      `MSH-2 encoding characters "${encoding}" are not valid: expected four distinct separators such as ^~\\&`,
    );
  }
  return undefined;
}

function checkHeader(header: MessageHeader, policy: InspectionPolicy): MessageProblem | undefined {
  const required: [number, string, string][] = [
    [7, header.dateTime, 'date/time of message'],
    [9, header.messageCode, 'message type'],
    [10, header.controlId, 'message control id'],
    [12, header.version, 'version id'],
  ];
  for (const [field, value, name] of required) {
    if (value === '') return rejectProblem(HL7_ERROR_CODES.requiredFieldMissing, mshLocation(field), `MSH-${field} (${name}) is empty`);
  }
  if (!isHl7DateTime(header.dateTime)) {
    return rejectProblem(HL7_ERROR_CODES.dataType, mshLocation(7), `MSH-7 "${header.dateTime}" is not a valid HL7 date/time`);
  }
  if (!isAcceptedVersion(header.version, policy.versions)) {
    return rejectProblem(
      HL7_ERROR_CODES.unsupportedVersion,
      mshLocation(12),
      `HL7 version "${header.version}" is not accepted (accepted: ${policy.versions.join(', ')})`,
    );
  }
  const typeError = messageTypeError(header.messageCode, header.triggerEvent, policy.messageTypes);
  if (typeError) {
    return rejectProblem(typeError, mshLocation(9), `message type "${header.messageType}" is not accepted by this listener`);
  }
  for (const [field, value] of [
    [15, header.acceptAckType],
    [16, header.applicationAckType],
  ] as const) {
    if (!VALID_ACK_TYPES.has(value)) {
      return rejectProblem(HL7_ERROR_CODES.tableValueNotFound, mshLocation(field), `MSH-${field} "${value}" is not AL, NE, ER or SU`);
    }
  }
  return undefined;
}

function checkSegments(text: string, message: Hl7Message): MessageProblem | undefined {
  const fieldSeparator = message.context.fieldSeparator;
  const segments = text.split(SEGMENT_BREAK);
  const seen = new Map<string, number>();
  let position = 0;
  for (const segment of segments) {
    if (segment === '') continue;
    position++;
    const id = segment.slice(0, 3);
    const sequence = (seen.get(id) ?? 0) + 1;
    seen.set(id, sequence);
    if (!SEGMENT_ID.test(id) || (segment.length > 3 && segment.charAt(3) !== fieldSeparator)) {
      const shown = segment.slice(0, 8).replace(CONTROL_CHARACTER, '?');
      return rejectProblem(HL7_ERROR_CODES.segmentSequence, { segment: sanitizeId(id), sequence }, `segment ${position} ("${shown}…") is not a valid segment`);
    }
    if (id === 'MSH' && position > 1) {
      return rejectProblem(HL7_ERROR_CODES.segmentSequence, { segment: 'MSH', sequence }, `a second MSH at segment ${position}: one message per frame`);
    }
    const control = CONTROL_CHARACTER.exec(segment);
    if (control) {
      return rejectProblem(
        HL7_ERROR_CODES.dataType,
        { segment: id, sequence },
        `segment ${position} (${id}) holds control character 0x${control[0].charCodeAt(0).toString(16).padStart(2, '0')}`,
      );
    }
  }
  return checkDates(message);
}

function checkDates(message: Hl7Message): MessageProblem | undefined {
  for (const { segment, field } of DATE_FIELDS) {
    const occurrences = message.getAllSegments(segment);
    for (let index = 0; index < occurrences.length; index++) {
      const value = occurrences[index].getField(field) as ReturnType<typeof occurrences[number]['getField']> | undefined;
      const dateTime = value?.getComponent(1) ?? '';
      if (dateTime === '' || dateTime === '""' || isHl7DateTime(dateTime)) continue;
      return rejectProblem(
        HL7_ERROR_CODES.dataType,
        { segment, sequence: index + 1, field },
        `${segment}-${field} "${dateTime.slice(0, 40)}" is not a valid HL7 date/time`,
      );
    }
  }
  return undefined;
}

/** MSH-10 from a message whose encoding characters cannot be trusted (only the field separator). */
function rawControlId(text: string): string {
  if (!text.startsWith('MSH') || !isSeparator(text.charAt(3))) return '';
  const msh = text.slice(0, firstOf(text, ['\r', '\n'], 0));
  return (msh.split(text.charAt(3))[9] ?? '').replace(/[^\x20-\x7E]|[|^~\\&]/g, '').slice(0, 199);
}

function isSeparator(char: string): boolean {
  return char.length === 1 && /^[\x21-\x7E]$/.test(char) && !/^[A-Za-z0-9]$/.test(char);
}

function firstOf(text: string, chars: string[], from: number): number {
  let end = text.length;
  for (const char of chars) {
    const index = text.indexOf(char, from);
    if (index !== -1 && index < end) end = index;
  }
  return end;
}

function describeChar(char: string): string {
  if (char === '') return '(missing)';
  return /^[\x21-\x7E]$/.test(char) ? `"${char}"` : `0x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

function sanitizeId(id: string): string {
  return id.replace(/[^A-Za-z0-9]/g, '?') || '?';
}
