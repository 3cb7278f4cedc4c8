import { OperationOutcomeError } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Task } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { Sql, TxSql } from '../db/connect.ts';
import { HubError } from '../errors.ts';
import { buildIdentityAuditEvent, type IdentityAuditRecord } from './identity-audit.ts';
import { identityWriteContext } from './identity-context.ts';
import type { IdentityMatcher } from './identity-matcher.ts';
import { setPair, type JobKind } from './identity-store.ts';
import { mergePatients } from './merge.ts';
import { taskPair, type Decision } from './review-task.ts';

interface JobRow {
  id: string;
  kind: JobKind;
  ref: string;
  payload: Record<string, unknown>;
  attempts: number;
}

const BATCH = 50;
/** A job failing this often stays in identity_job with its last error (see `simpul identity rebuild`). */
const MAX_ATTEMPTS = 5;

/**
 * The identity worker. Consumes `identity_job` rows, written by the identity write listener in the
 * same transaction as the Patient or Task write that caused them (so nothing is lost on a crash and
 * nothing runs for a rolled-back write). Jobs are claimed with FOR UPDATE SKIP LOCKED, so replicas
 * share the queue; each job is deleted in the claiming transaction after it ran.
 *
 * - `match`: score the Patient's candidates; link / open a review Task / nothing.
 * - `decision`: apply a completed review Task (merge, link, or record the pair as distinct).
 * - `audit`: write the AuditEvent of a merge, unmerge or link, with an id derived from the job, so a
 *   job that runs twice (crash after the write, before the delete) writes it once.
 * Why a replay is harmless: links and merges re-read current state and write nothing when it is
 * already so; review Tasks are claimed per pair.
 */
export class IdentityWorker {
  private readonly sql: Sql;
  private readonly repo: FhirRepository;
  private readonly matcher: IdentityMatcher;
  private readonly logger: Logger;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(sql: Sql, repo: FhirRepository, matcher: IdentityMatcher, logger: Logger) {
    this.sql = sql;
    this.repo = repo;
    this.matcher = matcher;
    this.logger = logger;
  }

  start(pollIntervalMs: number): void {
    if (pollIntervalMs <= 0) return;
    const tick = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.drain()
          .catch((err: unknown) => this.logger.error({ err }, 'identity worker: batch failed'))
          .finally(tick);
      }, pollIntervalMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.chain.catch(() => undefined);
  }

  /** Runs jobs until none is left (jobs create jobs: a link queues its audit). Returns how many ran. */
  drain(): Promise<number> {
    const run = this.chain.then(async () => {
      let total = 0;
      for (;;) {
        // Stopping ends the drain after the batch in hand; what is left stays queued for the next start.
        if (this.stopped) return total;
        const ran = await this.runBatch();
        total += ran;
        if (ran === 0) return total;
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async runBatch(): Promise<number> {
    return this.sql.begin(async (tx) => {
      const jobs = await tx<JobRow[]>`
        SELECT id::text, kind, ref, payload, attempts FROM identity_job WHERE attempts < ${MAX_ATTEMPTS}
        ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
      for (const job of jobs) await this.runJob(tx, job);
      return jobs.length;
    });
  }

  private async runJob(tx: TxSql, job: JobRow): Promise<void> {
    try {
      if (job.kind === 'match') {
        if (await this.matcher.refreshStored(job.ref)) await this.matcher.matchStored(job.ref);
      }
      else if (job.kind === 'decision') await this.applyDecision(job.ref, job.payload.decision as Decision, job.payload.survivor as string | null);
      else await this.writeAudit(`identity-${job.id}`, job.payload as unknown as IdentityAuditRecord);
      await tx`DELETE FROM identity_job WHERE id = ${job.id}`;
    } catch (err) {
      this.logger.error({ err, job: job.id, kind: job.kind, ref: job.ref, attempts: job.attempts + 1 }, 'identity job failed; it will be retried');
      await tx`UPDATE identity_job SET attempts = attempts + 1, last_error = ${String((err as Error).message ?? err).slice(0, 2000)} WHERE id = ${job.id}`;
    }
  }

  private async applyDecision(taskId: string, decision: Decision, survivor: string | null): Promise<void> {
    const task = await this.repo.readResource<Task>('Task', taskId);
    const pair = taskPair(task);
    if (!pair) return;
    const target = survivor?.replace(/^Patient\//, '') ?? pair.candidate;
    const source = target === pair.candidate ? pair.patient : pair.candidate;
    await identityWriteContext.run({ origin: 'review', taskId }, async () => {
      if (decision === 'merge') {
        const already = (await this.sql`SELECT 1 FROM identity_merge WHERE source_id = ${source} AND target_id = ${target} AND unmerged_at IS NULL`).length > 0;
        if (!already) await mergePatients(this.repo, source, target);
      } else if (decision === 'link') {
        await this.matcher.link(source, target);
      } else {
        await setPair(this.sql, pair.patient, pair.candidate, 'distinct', taskId, null);
      }
    });
    await this.writeAudit(`identity-decision-${taskId}`.slice(0, 64), { action: 'decision', source, target, origin: 'review', taskId, decision });
  }

  private async writeAudit(id: string, record: IdentityAuditRecord): Promise<void> {
    const event = { ...buildIdentityAuditEvent(record, new Date().toISOString()), id };
    try {
      await this.repo.createResource(event, { assignedId: true });
    } catch (err) {
      const code = err instanceof OperationOutcomeError ? err.outcome.issue?.[0]?.details?.coding?.[0]?.code : undefined;
      if (code !== HubError.ID_IN_USE.code) throw err;
    }
  }
}
