import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BusError } from './errors.ts';

export const ENVELOPE_KINDS = ['hl7', 'dicom', 'sql', 'webhook', 'event', 'delivery'] as const;
export type EnvelopeKind = (typeof ENVELOPE_KINDS)[number];

/**
 * What travels on the bus: the message body (JSON) of every AMQP message, with AMQP
 * `messageId` = `id` and `correlationId` = `traceId`.
 */
export interface Envelope<TBody = unknown> {
  /** UUID; also the idempotency key: a consumer that sees the same id twice changes nothing. */
  id: string;
  kind: EnvelopeKind;
  /** Who sent it: an HL7 sending facility, an AE title, a SQL source name, a bot name... */
  source: string;
  /** ISO 8601 time the edge (or the hub) accepted it. */
  receivedAt: string;
  traceId: string;
  /** MIME type of `body`: `x-application/hl7-v2+er7`, `application/fhir+json`, `application/json`... */
  contentType: string;
  body: TBody;
  /** Set by the consumer on delivery: 1 for the first try, 2 after one retry, and so on. */
  attempt?: number;
  /** Free-form string metadata from the producer (not AMQP headers). */
  headers?: Record<string, string>;
}

export interface NewEnvelopeInput<TBody> {
  kind: EnvelopeKind;
  source: string;
  contentType: string;
  body: TBody;
  /** Continue an existing trace; a new one is made otherwise. */
  traceId?: string;
  headers?: Record<string, string>;
  /** Only for replays that must keep an id; a new UUID otherwise. */
  id?: string;
  receivedAt?: Date | string;
}

const MAX_ID_LENGTH = 200;

const envelopeSchema = z.looseObject({
  id: z.string().min(1).max(MAX_ID_LENGTH),
  kind: z.enum(ENVELOPE_KINDS),
  source: z.string().min(1).max(1000),
  receivedAt: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'expected an ISO date-time'),
  traceId: z.string().min(1).max(MAX_ID_LENGTH),
  contentType: z.string().min(1).max(255),
  body: z.unknown().refine((value) => value !== undefined, 'body is required'),
  attempt: z.number().int().positive().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

export function newEnvelope<TBody>(input: NewEnvelopeInput<TBody>): Envelope<TBody> {
  const receivedAt = input.receivedAt instanceof Date ? input.receivedAt.toISOString() : (input.receivedAt ?? new Date().toISOString());
  const envelope: Envelope<TBody> = {
    id: input.id ?? randomUUID(),
    kind: input.kind,
    source: input.source,
    receivedAt,
    traceId: input.traceId ?? randomUUID(),
    contentType: input.contentType,
    body: input.body,
  };
  if (input.headers) envelope.headers = input.headers;
  assertEnvelope(envelope);
  return envelope;
}

/** Throws `BusError('INVALID_ARGUMENT')` naming the first bad field. */
export function assertEnvelope(value: unknown): asserts value is Envelope {
  const problem = envelopeProblem(value);
  if (problem) throw new BusError('INVALID_ARGUMENT', `invalid envelope: ${problem}`);
}

/** Why `value` is not an envelope, or undefined when it is one. */
export function envelopeProblem(value: unknown): string | undefined {
  const result = envelopeSchema.safeParse(value);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return `${path}: ${issue.message}`;
}

/** The AMQP body: UTF-8 JSON. `attempt` is dropped: it is delivery state, carried in a header. */
export function encodeEnvelope(envelope: Envelope): Buffer {
  const { attempt: _attempt, ...stored } = envelope;
  try {
    return Buffer.from(JSON.stringify(stored), 'utf8');
  } catch (error) {
    throw new BusError('INVALID_ARGUMENT', `envelope ${envelope.id} cannot be written as JSON`, { cause: error });
  }
}
