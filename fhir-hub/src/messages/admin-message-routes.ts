import { OperationOutcomeError, badRequest, notFound } from '@medplum/core';
import { EXCHANGES, newEnvelope, type EnvelopeKind } from '@simpul/infra';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../db/connect.ts';
import { enqueueOutbox } from '../outbox/outbox-writer.ts';
import {
  MESSAGE_STATUSES,
  findRecentDuplicate,
  getMessage,
  recordOutcome,
  recordReceived,
  searchMessages,
  type StoredMessage,
} from './message-store.ts';

export interface AdminMessageRoutesOptions {
  sql: Sql;
}

const isoDateTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO date-time');

const querySchema = z.strictObject({
  status: z.enum(MESSAGE_STATUSES).optional(),
  kind: z.string().max(40).optional(),
  type: z.string().max(40).optional(),
  source: z.string().max(200).optional(),
  since: isoDateTime.optional(),
  until: isoDateTime.optional(),
  patient: z.string().max(300).optional(),
  text: z.string().max(500).optional(),
  _count: z.coerce.number().int().min(1).max(500).optional(),
  _offset: z.coerce.number().int().min(0).optional(),
});

const receivedSchema = z.strictObject({
  kind: z.string().min(1).max(40),
  source: z.string().min(1).max(200),
  messageType: z.string().max(40).optional(),
  controlId: z.string().max(200).optional(),
  contentType: z.string().min(1).max(255),
  raw: z.string(),
  receivedAt: isoDateTime,
  traceId: z.string().max(200).optional(),
  patientIds: z.array(z.string().max(300)).max(50).optional(),
  /** When set, a message from the same source with the same control id inside this window is reported as its duplicate. */
  duplicateWindowMs: z.number().int().min(0).max(7 * 24 * 3600_000).optional(),
});

const outcomeSchema = z.strictObject({
  status: z.enum(MESSAGE_STATUSES),
  error: z.string().max(10_000).optional(),
  resources: z.array(z.string().max(300)).max(10_000).optional(),
  patientIds: z.array(z.string().max(300)).max(50).optional(),
  messageType: z.string().max(40).optional(),
});

const replaySchema = z
  .strictObject({
    ids: z.array(z.uuid()).min(1).max(10_000).optional(),
    query: querySchema.optional(),
  })
  .refine((v) => (v.ids ? 1 : 0) + (v.query ? 1 : 0) === 1, 'give exactly one of "ids" or "query"');

const uuidParam = z.strictObject({ id: z.uuid() });

/**
 * The message store's admin API: the ingest worker records what it took and what became of it;
 * integration engineers (and the viewer) browse, search and replay. A replay republishes the raw
 * message to `simpul.ingest` through the outbox with the same envelope id and `replay: true`.
 */
export async function adminMessageRoutes(app: FastifyInstance, options: AdminMessageRoutesOptions): Promise<void> {
  const { sql } = options;

  app.get('/admin/messages', async (request) => {
    const q = parse(querySchema, request.query, 'query');
    const result = await searchMessages(sql, toMessageQuery(q));
    return { total: result.total, messages: result.messages };
  });

  app.get('/admin/messages/:id', async (request) => {
    const { id } = parse(uuidParam, request.params, 'path');
    const message = await getMessage(sql, id);
    if (!message) throw new OperationOutcomeError(notFound);
    return message;
  });

  app.put('/admin/messages/:id/received', async (request) => {
    const { id } = parse(uuidParam, request.params, 'path');
    const body = parse(receivedSchema, request.body, 'body');
    const { duplicateWindowMs, ...message } = body;
    const recorded = await recordReceived(sql, { id, ...message });
    const duplicateOf =
      duplicateWindowMs !== undefined ? await findRecentDuplicate(sql, { id, ...message }, duplicateWindowMs) : undefined;
    return { ...recorded, ...(duplicateOf ? { duplicateOf } : {}) };
  });

  app.put('/admin/messages/:id/outcome', async (request) => {
    const { id } = parse(uuidParam, request.params, 'path');
    const outcome = parse(outcomeSchema, request.body, 'body');
    const updated = await recordOutcome(sql, id, outcome);
    if (!updated) throw new OperationOutcomeError(notFound);
    return updated;
  });

  app.post('/admin/messages/replay', async (request) => {
    const body = parse(replaySchema, request.body, 'body');
    const messages: StoredMessage[] = [];
    if (body.ids) {
      for (const id of body.ids) {
        const message = await getMessage(sql, id);
        if (message) messages.push(message);
      }
    } else if (body.query) {
      messages.push(...(await searchMessages(sql, { ...toMessageQuery(body.query), limit: 500 })).messages);
    }
    await sql.begin(async (tx) => {
      await enqueueOutbox(
        tx,
        messages.map((m) => ({
          exchange: EXCHANGES.ingest,
          routingKey: `${m.kind}.${m.source}`,
          envelope: newEnvelope({
            id: m.id,
            kind: m.kind as EnvelopeKind,
            source: m.source,
            contentType: m.contentType,
            body: m.contentType.includes('json') ? JSON.parse(m.raw) : m.raw,
            receivedAt: m.receivedAt,
            traceId: m.traceId,
            headers: { replay: 'true' },
          }),
        })),
      );
    });
    return { replayed: messages.length, ids: messages.map((m) => m.id) };
  });
}

function toMessageQuery(q: z.infer<typeof querySchema>) {
  return {
    status: q.status,
    kind: q.kind,
    messageType: q.type,
    source: q.source,
    since: q.since,
    until: q.until,
    patient: q.patient,
    text: q.text,
    limit: q._count,
    offset: q._offset,
  };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.join('.');
  throw new OperationOutcomeError(badRequest(`Invalid ${where}${path ? ` at "${path}"` : ''}: ${issue.message}`, path || undefined));
}
