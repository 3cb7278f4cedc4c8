import type { AckCode, Hl7Context } from '@medplum/core';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { randomBytes } from 'node:crypto';
import type { AckMode } from './message-header.ts';
import type { MessageProblem } from './message-problem.ts';

/**
 * The edge's answers. Original mode: AA (stored), AR (the message is wrong: do not resend as is),
 * AE (we could not store it: resend). Enhanced mode: the commit ACK CA / CR / CE, sent or not as
 * MSH-15 asks; the application ACK is the ingest worker's (it reads MSH-16 from the envelope).
 * Problems come with an ERR segment: ERR-1 (for v2.3/2.4 receivers), ERR-2 location, ERR-3 code
 * from table 0357, ERR-4 severity, ERR-8 the text; MSA-3 carries the text too.
 */

export type AckOutcome = 'accepted' | 'rejected' | 'error';

const CODES: Readonly<Record<AckMode, Readonly<Record<AckOutcome, AckCode>>>> = {
  original: { accepted: 'AA', rejected: 'AR', error: 'AE' },
  enhanced: { accepted: 'CA', rejected: 'CR', error: 'CE' },
};

export function ackCodeFor(mode: AckMode, outcome: AckOutcome): AckCode {
  return CODES[mode][outcome];
}

/** Whether an ACK is sent at all: always in original mode; in enhanced mode as MSH-15 says (empty = AL). */
export function isAckWanted(mode: AckMode, acceptAckType: string, outcome: AckOutcome): boolean {
  if (mode === 'original') return true;
  switch (acceptAckType) {
    case 'NE':
      return false;
    case 'ER':
      return outcome !== 'accepted';
    case 'SU':
      return outcome === 'accepted';
    default:
      return true;
  }
}

export interface AckInput {
  /** The inbound message parsed with its own separators; without it the ACK has a default header. */
  original: Hl7Message | undefined;
  /** MSA-2 when there is no `original`. */
  controlId: string;
  ackCode: AckCode;
  problem?: MessageProblem;
  /** Echoed in MSH-11 and MSH-18 when given. */
  processingId?: string;
  charset?: string;
}

/** Builds the ACK with `@medplum/core`'s `buildAck` and completes it (unique MSH-10, ERR, MSH-11/18). */
export function buildAckMessage(input: AckInput): Hl7Message {
  const original = input.original ?? Hl7Message.parse(`MSH|^~\\&|||SIMPUL||||ACK|${input.controlId}|P|2.5`);
  const context = original.context;
  const ack = original.buildAck({
    ackCode: input.ackCode,
    errSegment: input.problem ? errSegment(input.problem, context) : undefined,
  });
  const header = ack.header;
  header.setField(10, nextAckControlId());
  if (input.processingId) header.setField(11, escapeText(input.processingId, context));
  if (input.charset) header.setField(18, escapeText(input.charset, context));
  if (input.problem) ack.getSegment('MSA')?.setField(3, escapeText(input.problem.text, context));
  return ack;
}

function errSegment(problem: MessageProblem, context: Hl7Context): Hl7Segment {
  const c = context.componentSeparator;
  const s = context.subcomponentSeparator;
  const { code, text } = problem.error;
  const location = problem.location;
  const place = location ? [location.segment, String(location.sequence), location.field === undefined ? '' : String(location.field)] : ['', '', ''];
  const fields = [
    'ERR',
    // ERR-1 (ELD, v2.3/2.4): segment^sequence^field^code&text&HL70357
    [...place, [code, text, 'HL70357'].join(s)].join(c),
    // ERR-2 (ERL)
    location ? place.filter((part) => part !== '').join(c) : '',
    // ERR-3 (CWE, table 0357)
    [code, text, 'HL70357'].join(c),
    // ERR-4 severity
    'E',
    '',
    '',
    '',
    // ERR-8 user message
    escapeText(problem.text, context),
  ];
  return new Hl7Segment(fields, context);
}

const LINE_BREAK = /[\r\n]/;

/** HL7 escape sequences for free text placed in a field; line breaks become spaces. */
export function escapeText(text: string, context: Hl7Context): string {
  const replacements: [string, string][] = [
    [context.escapeCharacter, 'E'],
    [context.fieldSeparator, 'F'],
    [context.componentSeparator, 'S'],
    [context.repetitionSeparator, 'R'],
    [context.subcomponentSeparator, 'T'],
  ];
  if (!LINE_BREAK.test(text) && !replacements.some(([separator]) => text.includes(separator))) return text;
  let escaped = '';
  for (const char of text.replace(/[\r\n]+/g, ' ')) {
    const replacement = replacements.find(([separator]) => separator === char);
    escaped += replacement ? `${context.escapeCharacter}${replacement[1]}${context.escapeCharacter}` : char;
  }
  return escaped;
}

// Unique across processes (random prefix) and within one (counter); at most 20 characters (ST in v2.5).
const ACK_ID_PREFIX = randomBytes(3).toString('hex');
let ackCounter = 0;

function nextAckControlId(): string {
  ackCounter = (ackCounter + 1) % 36 ** 4;
  return `${ACK_ID_PREFIX}${Date.now().toString(36)}${ackCounter.toString(36).padStart(4, '0')}`;
}
