import type { Queryable } from '../db/connect.ts';

export const MESSAGE_STATUSES = ['received', 'mapped', 'stored', 'error'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface StoredMessage {
  id: string;
  kind: string;
  source: string;
  messageType?: string;
  controlId?: string;
  contentType: string;
  raw: string;
  receivedAt: string;
  updatedAt: string;
  status: MessageStatus;
  error?: string;
  traceId?: string;
  attempts: number;
  patientIds: string[];
  resources: string[];
}

/** What an ingest worker reports when it takes a message: recorded once, attempts counted. */
export interface ReceivedMessage {
  id: string;
  kind: string;
  source: string;
  messageType?: string;
  controlId?: string;
  contentType: string;
  raw: string;
  receivedAt: string;
  traceId?: string;
  patientIds?: string[];
}

export interface MessageOutcome {
  status: MessageStatus;
  error?: string;
  resources?: string[];
  patientIds?: string[];
  messageType?: string;
}

export interface MessageQuery {
  status?: MessageStatus;
  kind?: string;
  messageType?: string;
  source?: string;
  since?: string;
  until?: string;
  /** An identifier as it appears in the message (value or system|value). */
  patient?: string;
  /** Words to find in the raw message or the error. */
  text?: string;
  limit?: number;
  offset?: number;
}

interface MessageRow {
  id: string;
  kind: string;
  source: string;
  message_type: string | null;
  control_id: string | null;
  content_type: string;
  raw: string;
  received_at: Date;
  updated_at: Date;
  status: MessageStatus;
  error: string | null;
  trace_id: string | null;
  attempts: number;
  patient_ids: string[];
  resources: string[];
}

/**
 * Records that a worker took a message: inserts it the first time, otherwise only counts the
 * attempt. Returns the stored message and whether this was the first time it was seen.
 */
export async function recordReceived(db: Queryable, message: ReceivedMessage): Promise<{ message: StoredMessage; firstSeen: boolean }> {
  const rows = await db<(MessageRow & { inserted: boolean })[]>`
    INSERT INTO message (id, kind, source, message_type, control_id, content_type, raw, received_at, status, trace_id, attempts, patient_ids)
    VALUES (${message.id}, ${message.kind}, ${message.source}, ${message.messageType ?? null}, ${message.controlId ?? null},
      ${message.contentType}, ${message.raw}, ${message.receivedAt}, 'received', ${message.traceId ?? null}, 1, ${message.patientIds ?? []})
    ON CONFLICT (id) DO UPDATE SET attempts = message.attempts + 1, updated_at = clock_timestamp()
    RETURNING *, (xmax = 0) AS inserted`;
  return { message: toMessage(rows[0]), firstSeen: rows[0].inserted };
}

/** Moves a message along received -> mapped -> stored, or to error with the reason. */
export async function recordOutcome(db: Queryable, id: string, outcome: MessageOutcome): Promise<StoredMessage | undefined> {
  const rows = await db<MessageRow[]>`
    UPDATE message SET
      status = ${outcome.status},
      error = ${outcome.status === 'error' ? (outcome.error ?? 'unknown error') : null},
      resources = coalesce(${outcome.resources ?? null}::text[], resources),
      patient_ids = coalesce(${outcome.patientIds ?? null}::text[], patient_ids),
      message_type = coalesce(${outcome.messageType ?? null}, message_type),
      updated_at = clock_timestamp()
    WHERE id = ${id}
    RETURNING *`;
  return rows[0] ? toMessage(rows[0]) : undefined;
}

export async function getMessage(db: Queryable, id: string): Promise<StoredMessage | undefined> {
  const rows = await db<MessageRow[]>`SELECT * FROM message WHERE id = ${id}`;
  return rows[0] ? toMessage(rows[0]) : undefined;
}

/**
 * An earlier message from the same sender with the same control id (HL7 MSH-10) received within
 * `windowMs` before `receivedAt`: the sender resent it, and it must not be processed twice.
 */
export async function findRecentDuplicate(
  db: Queryable,
  message: { id: string; source: string; controlId?: string; receivedAt: string },
  windowMs: number,
): Promise<StoredMessage | undefined> {
  if (!message.controlId) return undefined;
  const since = new Date(new Date(message.receivedAt).getTime() - windowMs);
  const rows = await db<MessageRow[]>`
    SELECT * FROM message
    WHERE source = ${message.source} AND control_id = ${message.controlId} AND id <> ${message.id}
      AND received_at >= ${since} AND received_at <= ${message.receivedAt}
    ORDER BY received_at LIMIT 1`;
  return rows[0] ? toMessage(rows[0]) : undefined;
}

export async function searchMessages(db: Queryable, query: MessageQuery): Promise<{ total: number; messages: StoredMessage[] }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  const offset = Math.max(query.offset ?? 0, 0);
  const conditions = [
    query.status ? db`status = ${query.status}` : undefined,
    query.kind ? db`kind = ${query.kind}` : undefined,
    query.messageType ? db`message_type = ${query.messageType}` : undefined,
    query.source ? db`source = ${query.source}` : undefined,
    query.since ? db`received_at >= ${query.since}` : undefined,
    query.until ? db`received_at < ${query.until}` : undefined,
    query.patient
      ? db`EXISTS (SELECT 1 FROM unnest(patient_ids) AS p WHERE p = ${query.patient} OR right(p, ${query.patient.length + 1}) = ${`|${query.patient}`})`
      : undefined,
    query.text ? db`search_text @@ plainto_tsquery('simple', ${query.text})` : undefined,
  ].filter((c) => c !== undefined);
  const where = conditions.reduce((acc, c) => db`${acc} AND ${c}`, db`true`);
  const rows = await db<(MessageRow & { total: string })[]>`
    SELECT *, count(*) OVER () AS total FROM message WHERE ${where}
    ORDER BY received_at DESC, id LIMIT ${limit} OFFSET ${offset}`;
  return { total: rows.length > 0 ? Number(rows[0].total) : 0, messages: rows.map(toMessage) };
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    kind: row.kind,
    source: row.source,
    ...(row.message_type ? { messageType: row.message_type } : {}),
    ...(row.control_id ? { controlId: row.control_id } : {}),
    contentType: row.content_type,
    raw: row.raw,
    receivedAt: new Date(row.received_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    status: row.status,
    ...(row.error ? { error: row.error } : {}),
    ...(row.trace_id ? { traceId: row.trace_id } : {}),
    attempts: row.attempts,
    patientIds: row.patient_ids,
    resources: row.resources,
  };
}
