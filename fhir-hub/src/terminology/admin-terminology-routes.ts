import { OperationOutcomeError, badRequest } from '@medplum/core';
import { translate } from '@simpul/terminology';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../db/connect.ts';
import type { HubTerminology, TerminologySnapshot } from './hub-terminology.ts';
import { listUnmappedCodes, recordUnmappedCodes, type UnmappedCode } from './unmapped-code-store.ts';

export interface AdminTerminologyRoutesOptions {
  sql: Sql;
  terminology: HubTerminology;
}

const isoDateTime = z.string().max(40).refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO date-time');

const unmappedCodeSchema = z
  .strictObject({
    system: z.string().min(1).max(2048),
    code: z.string().min(1).max(1024),
    display: z.string().max(1024).optional(),
    targetSystem: z.string().min(1).max(2048).optional(),
    count: z.number().int().min(1).max(1_000_000_000),
    firstSeen: isoDateTime,
    lastSeen: isoDateTime,
    exampleMessageId: z.string().min(1).max(200).optional(),
  })
  .refine((e) => Date.parse(e.firstSeen) <= Date.parse(e.lastSeen), { message: 'firstSeen is after lastSeen', path: ['firstSeen'] });

const reportSchema = z.strictObject({
  entries: z.array(unmappedCodeSchema).max(10_000),
});

const querySchema = z.strictObject({
  system: z.string().min(1).max(2048).optional(),
  _count: z.coerce.number().int().min(1).max(500).default(100),
  _offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/**
 * The unmapped-codes report. The ingest worker posts what its UnmappedCodeTracker collected
 * (`tracker.report()`, then `tracker.clear()`); engineers read it most frequent first. Each row
 * says whether the code translates now (`mappedNow`), so after a ConceptMap fix it is clear
 * which example messages are worth replaying.
 */
export async function adminTerminologyRoutes(app: FastifyInstance, options: AdminTerminologyRoutesOptions): Promise<void> {
  const { sql, terminology } = options;

  app.post('/admin/terminology/unmapped', async (request) => {
    const { entries } = parse(reportSchema, request.body, 'body');
    return { recorded: await recordUnmappedCodes(sql, entries) };
  });

  app.get('/admin/terminology/unmapped', async (request) => {
    const query = parse(querySchema, request.query, 'query');
    const report = await listUnmappedCodes(sql, { system: query.system, limit: query._count, offset: query._offset });
    const snapshot = await terminology.current();
    return { total: report.total, codes: report.codes.map((code) => ({ ...code, mappedNow: translatesNow(snapshot, code) })) };
  });
}

function translatesNow(snapshot: TerminologySnapshot, code: UnmappedCode): boolean {
  if (code.targetSystem) return snapshot.translator.translate(code.system, code.code, code.targetSystem).mapped;
  return translate(snapshot.store, { system: code.system, code: code.code }).result;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.join('.');
  throw new OperationOutcomeError(badRequest(`Invalid ${where}${path ? ` at "${path}"` : ''}: ${issue.message}`, path || undefined));
}
