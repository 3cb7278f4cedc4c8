/**
 * `GET /admin/messages/stats`: message-store counts for the viewer's integration monitor. Per source
 * (and kind): how many messages per status and when the last one arrived; and per hour, source and
 * status over the window, for the chart. Read-only; the same admin scope as the rest of /admin.
 */
import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Queryable, Sql } from '../db/connect.ts';
import type { MessageStatus } from './message-store.ts';

export interface SourceStats {
  kind: string;
  source: string;
  total: number;
  byStatus: Record<MessageStatus, number>;
  /** Highest attempts any message needed, a hint of retries. */
  maxAttempts: number;
  lastReceivedAt: string;
  lastErrorAt?: string;
}

export interface HourBucket {
  /** Start of the hour, ISO. */
  hour: string;
  source: string;
  status: MessageStatus;
  count: number;
}

export interface MessageStats {
  since: string;
  until: string;
  sources: SourceStats[];
  hourly: HourBucket[];
}

const MAX_WINDOW_HOURS = 24 * 31;

const querySchema = z.strictObject({
  hours: z.coerce.number().int().min(1).max(MAX_WINDOW_HOURS).optional(),
  until: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO date-time')
    .optional(),
});

export async function messageStats(db: Queryable, window: { hours: number; until: Date }): Promise<MessageStats> {
  const until = window.until;
  const since = new Date(until.getTime() - window.hours * 3600_000);
  const sourceRows = await db<
    { kind: string; source: string; status: MessageStatus; count: string; max_attempts: number; last_received: Date; last_error: Date | null }[]
  >`
    SELECT kind, source, status, count(*) AS count, max(attempts) AS max_attempts, max(received_at) AS last_received,
      max(updated_at) FILTER (WHERE status = 'error') AS last_error
    FROM message WHERE received_at >= ${since} AND received_at < ${until}
    GROUP BY kind, source, status`;
  const sources = new Map<string, SourceStats>();
  for (const row of sourceRows) {
    const key = `${row.kind}\u0000${row.source}`;
    const entry = sources.get(key) ?? {
      kind: row.kind,
      source: row.source,
      total: 0,
      byStatus: { received: 0, mapped: 0, stored: 0, error: 0 },
      maxAttempts: 0,
      lastReceivedAt: row.last_received.toISOString(),
    };
    const count = Number(row.count);
    entry.total += count;
    entry.byStatus[row.status] = count;
    entry.maxAttempts = Math.max(entry.maxAttempts, row.max_attempts);
    if (row.last_received.toISOString() > entry.lastReceivedAt) entry.lastReceivedAt = row.last_received.toISOString();
    if (row.last_error && (!entry.lastErrorAt || row.last_error.toISOString() > entry.lastErrorAt)) entry.lastErrorAt = row.last_error.toISOString();
    sources.set(key, entry);
  }
  const hourRows = await db<{ hour: Date; source: string; status: MessageStatus; count: string }[]>`
    SELECT date_trunc('hour', received_at) AS hour, source, status, count(*) AS count
    FROM message WHERE received_at >= ${since} AND received_at < ${until}
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    sources: [...sources.values()].sort((a, b) => (a.kind + a.source).localeCompare(b.kind + b.source)),
    hourly: hourRows.map((row) => ({ hour: row.hour.toISOString(), source: row.source, status: row.status, count: Number(row.count) })),
  };
}

export interface MessageStatsRoutesOptions {
  sql: Sql;
}

/** `GET /admin/messages/stats?hours=24&until=<iso>`: the last `hours` (default 24, at most 744). */
export async function messageStatsRoutes(app: FastifyInstance, options: MessageStatsRoutesOptions): Promise<void> {
  app.get('/admin/messages/stats', async (request, reply) => {
    const parsed = querySchema.safeParse(request.query ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue.path.join('.');
      throw new OperationOutcomeError(badRequest(`Invalid query${path ? ` at "${path}"` : ''}: ${issue.message}`, path || undefined));
    }
    reply.header('cache-control', 'no-store');
    return messageStats(options.sql, { hours: parsed.data.hours ?? 24, until: parsed.data.until ? new Date(parsed.data.until) : new Date() });
  });
}
