import type { AckCode } from '@medplum/core';
import type { Envelope, Logger } from '@simpul/infra';
import { EXCHANGES, newTraceId } from '@simpul/infra';
import type { AckOutcome } from './ack.ts';
import { ackCodeFor, buildAckMessage, isAckWanted } from './ack.ts';
import type { Hl7Charset } from './charset.ts';
import { charsetFor, LOSSLESS_CHARSET } from './charset.ts';
import type { DuplicateOutcome, DuplicateWindow } from './duplicate-window.ts';
import { duplicateKey, envelopeIdFor } from './duplicate-window.ts';
import type { AcceptableMessage, RejectedMessage } from './inspect-message.ts';
import { inspectFrame } from './inspect-message.ts';
import type { AckMode, MessageHeader } from './message-header.ts';
import { ackModeOf } from './message-header.ts';
import type { MessageProblem } from './message-problem.ts';
import { formatLocation, HL7_ERROR_CODES } from './message-problem.ts';
import type { MllpSourceConfig } from './source-settings.ts';

/**
 * One inbound frame, start to answer: inspect it, and either reject it (AR/CR with ERR), or store
 * it on the bus and only then accept it (AA/CA), or say we could not store it (AE/CE, the sender
 * keeps it and retries). Never throws: whatever goes wrong becomes an AE/CE.
 *
 * Published: exchange `simpul.ingest`, routing key `hl7.<source>`, an envelope of kind `hl7` whose
 * body is the message text decoded per MSH-18 and whose headers carry the MSH fields the ingest
 * worker needs (MSH-16 among them, for the application ACK of enhanced mode).
 */

export const HL7_CONTENT_TYPE = 'x-application/hl7-v2+er7';

/** What the edge needs of the bus (`Bus` from `@simpul/infra` has it): resolves once the broker confirmed. */
export interface IngestPublisher {
  publish(exchange: string, routingKey: string, envelope: Envelope): Promise<void>;
}

export interface PeerInfo {
  /** `address:port` of the sender. */
  remoteAddress: string;
  /** `host:port` of our socket. */
  listener: string;
  tls: boolean;
}

export interface AcceptDeps {
  source: MllpSourceConfig;
  publisher: IngestPublisher;
  duplicates: DuplicateWindow;
  logger: Logger;
  now?: () => Date;
}

export type AcceptOutcome = 'accepted' | 'duplicate' | 'rejected' | 'error';

export interface AcceptResult {
  outcome: AcceptOutcome;
  ackCode: AckCode;
  /** The encoded ACK (not framed); undefined when enhanced mode's MSH-15 asked for none. */
  ack?: Buffer;
  controlId: string;
  traceId: string;
  envelopeId?: string;
  problem?: MessageProblem;
}

export async function acceptMessage(frame: Buffer, peer: PeerInfo, deps: AcceptDeps): Promise<AcceptResult> {
  const traceId = newTraceId();
  const logger = messageLog(deps.logger, { traceId, source: deps.source.name, remote: peer.remoteAddress });
  try {
    const inspection = inspectFrame(frame, deps.source);
    if (!inspection.ok) return reject(inspection, traceId, logger, frame.length);
    return await store(inspection, peer, deps, traceId, logger);
  } catch (error) {
    logger.error({ err: error, bytes: frame.length }, 'HL7 message could not be handled; answered AE');
    const problem: MessageProblem = { severity: 'error', error: HL7_ERROR_CODES.internalError, text: 'internal error; message not stored; retry' };
    const ack = buildAckMessage({ original: undefined, controlId: '', ackCode: 'AE', problem });
    return { outcome: 'error', ackCode: 'AE', ack: LOSSLESS_CHARSET.encode(ack.toString()), controlId: '', traceId, problem };
  }
}

function reject(inspection: RejectedMessage, traceId: string, logger: MessageLog, bytes: number): AcceptResult {
  const { header, problem } = inspection;
  const mode: AckMode = header ? ackModeOf(header) : 'original';
  const answer = answerFor({ header, original: inspection, controlId: inspection.controlId, charset: inspection.charset }, mode, 'rejected', problem);
  logger.warn(
    {
      controlId: inspection.controlId,
      messageType: header?.messageType,
      code: problem.error.code,
      location: formatLocation(problem.location),
      reason: problem.text,
      bytes,
      ack: answer.ack ? answer.ackCode : 'none (MSH-15)',
    },
    'HL7 message rejected',
  );
  return { outcome: 'rejected', ...answer, controlId: inspection.controlId, traceId, problem };
}

async function store(inspection: AcceptableMessage, peer: PeerInfo, deps: AcceptDeps, traceId: string, logger: MessageLog): Promise<AcceptResult> {
  const { header, text } = inspection;
  const { source } = deps;
  const started = performance.now();
  const receivedAt = deps.now?.() ?? new Date();
  const key = duplicateKey({ source: source.name, header, text });
  const envelopeId = envelopeIdFor(key, receivedAt, source.duplicateWindowSeconds * 1000);
  // Every field set here; the bus validates the envelope when it publishes it.
  const envelope: Envelope<string> = {
    id: envelopeId,
    kind: 'hl7',
    source: source.name,
    receivedAt: receivedAt.toISOString(),
    traceId,
    contentType: HL7_CONTENT_TYPE,
    body: text,
    headers: envelopeHeaders(header, inspection.charset, peer),
  };
  const mode = ackModeOf(header);
  const context = { header, original: inspection, controlId: header.controlId, charset: inspection.charset };
  const fields = { controlId: header.controlId, messageType: header.messageType, envelopeId };

  // Settled into a value at once: a rejection must not sit unhandled while the ACK is prepared.
  const storing = deps.duplicates.runOnce(key, () => deps.publisher.publish(EXCHANGES.ingest, `hl7.${source.name}`, envelope)).then(
    (outcome) => ({ stored: true as const, outcome }),
    (error: unknown) => ({ stored: false as const, error }),
  );
  // The publish is on the wire once this turn's microtasks have run; the positive answer is built
  // while the broker stores the message, so that nothing but the write is left after its confirm.
  await nextTurn();
  const accepted = answerFor(context, mode, 'accepted');

  const settled = await storing;
  if (!settled.stored) {
    const error = settled.error;
    const problem: MessageProblem = { severity: 'error', error: HL7_ERROR_CODES.internalError, text: 'message not stored; retry' };
    const answer = answerFor(context, mode, 'error', problem);
    logger.error({ ...fields, err: error, ack: answer.ackCode }, 'HL7 message not stored (bus unavailable?); sender told to retry');
    return { outcome: 'error', ...answer, controlId: header.controlId, traceId, envelopeId, problem };
  }
  const outcome: DuplicateOutcome = settled.outcome;

  const ms = Math.round((performance.now() - started) * 10) / 10;
  // Logged on the next turn, after the connection has written the ACK. A stored message is a debug
  // line (one per message costs about a sixth of the listener's CPU at info); duplicates and reused
  // ids are worth an operator's eye. Rejections and failures are always logged, with the trace id.
  if (outcome === 'duplicate') {
    setImmediate(() => logger.info({ ...fields, ms }, 'HL7 message is a duplicate inside the window; acknowledged again, not stored again'));
  } else if (outcome === 'reused-id') {
    setImmediate(() => logger.warn({ ...fields, ms }, 'HL7 control id reused for different content inside the duplicate window; stored as a new message'));
  } else if (logger.debugEnabled) {
    setImmediate(() => logger.debug({ ...fields, ms }, 'HL7 message stored'));
  }
  return { outcome: outcome === 'duplicate' ? 'duplicate' : 'accepted', ...accepted, controlId: header.controlId, traceId, envelopeId };
}

type LogFields = Record<string, unknown>;

interface MessageLog {
  readonly debugEnabled: boolean;
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** The lines of one message, each with its trace id, source and sender (cheaper than a child logger per message). */
function messageLog(logger: Logger, context: LogFields): MessageLog {
  return {
    debugEnabled: logger.isLevelEnabled('debug'),
    debug: (fields, message) => logger.debug({ ...context, ...fields }, message),
    info: (fields, message) => logger.info({ ...context, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...context, ...fields }, message),
    error: (fields, message) => logger.error({ ...context, ...fields }, message),
  };
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface AnswerContext {
  header: MessageHeader | undefined;
  original: Pick<AcceptableMessage | RejectedMessage, 'message'>;
  controlId: string;
  charset: Hl7Charset;
}

function answerFor(context: AnswerContext, mode: AckMode, outcome: AckOutcome, problem?: MessageProblem): { ackCode: AckCode; ack?: Buffer } {
  const ackCode = ackCodeFor(mode, outcome);
  const { header } = context;
  if (!isAckWanted(mode, header?.acceptAckType ?? '', outcome)) return { ackCode };
  const message = buildAckMessage({
    original: context.original.message,
    controlId: context.controlId,
    ackCode,
    problem,
    processingId: header?.processingId,
    charset: echoedCharset(header, context.charset),
  });
  return { ackCode, ack: context.charset.encode(message.toString()) };
}

/** MSH-18 of the ACK: the message's own, when the ACK is written in the charset it names. */
function echoedCharset(header: MessageHeader | undefined, writtenIn: Hl7Charset): string | undefined {
  if (!header?.charset) return undefined;
  return charsetFor(header.charset, writtenIn.name)?.name === writtenIn.name ? header.charset : undefined;
}

function envelopeHeaders(header: MessageHeader, charset: Hl7Charset, peer: PeerInfo): Record<string, string> {
  return {
    messageType: header.messageType,
    messageStructure: header.messageStructure,
    controlId: header.controlId,
    version: header.version,
    messageDateTime: header.dateTime,
    sendingApplication: header.sendingApplication,
    sendingFacility: header.sendingFacility,
    receivingApplication: header.receivingApplication,
    receivingFacility: header.receivingFacility,
    processingId: header.processingId,
    ackMode: ackModeOf(header),
    acceptAckType: header.acceptAckType,
    applicationAckType: header.applicationAckType,
    charset: charset.name,
    remoteAddress: peer.remoteAddress,
    listener: peer.listener,
    tls: String(peer.tls),
  };
}
