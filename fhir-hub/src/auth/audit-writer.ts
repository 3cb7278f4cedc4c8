import type { AuditEvent } from '@medplum/fhirtypes';
/**
 * The audit trail of one request, and the writer that stores it as AuditEvent resources.
 *
 * Where and when: the trail is written through the hub's own (unscoped) repository when the response
 * is about to be sent (Fastify onSend), so an AuditEvent exists before the client sees the answer; it
 * is NOT written inside the user's write transaction: an audit row must survive a rolled-back
 * transaction (a denied or failed request is exactly what must be recorded) and writing through the
 * repository from inside its own write would recurse through the write listeners.
 * If the audit write fails, the user's request keeps its outcome (already committed or refused); the
 * failure is loud instead: an error log with the trace id and the lost events, and a counter
 * (AuthCounters.auditWriteFailures) for alerting. It is never swallowed silently.
 */
import type { FhirRepository } from '@medplum/fhir-router';
import type { Logger } from 'pino';
import type { AuthContext, RequestOrigin } from './auth-context.ts';
import { buildAuditEvent, type AuditActor, type AuditRecord } from './audit-event.ts';

export interface AuthCounters {
  auditEventsWritten: number;
  auditWriteFailures: number;
  rateLimited: number;
}

export function createAuthCounters(): AuthCounters {
  return { auditEventsWritten: 0, auditWriteFailures: 0, rateLimited: 0 };
}

const WRITE_INTERACTION: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** Collects what one request wrote and what it was refused. */
export class RequestAudit {
  readonly origin: RequestOrigin;
  auth?: AuthContext;
  private readonly records: AuditRecord[] = [];
  private readonly deniedKeys = new Set<string>();

  constructor(origin: RequestOrigin) {
    this.origin = origin;
  }

  recordWrite(interaction: string, resourceType: string, id: string | undefined, outcome: 'success' | 'failed', detail?: string): void {
    this.records.push({ interaction, resourceType, entity: id ? `${resourceType}/${id}` : undefined, outcome, detail });
  }

  /** One record per (type, interaction, reason): a search that skips 50 includes is one denial. */
  recordDenied(interaction: string, resourceType: string | undefined, detail: string, id?: string): void {
    const key = `${interaction}|${resourceType ?? ''}|${id ?? ''}|${detail}`;
    if (this.deniedKeys.has(key)) return;
    this.deniedKeys.add(key);
    this.records.push({ interaction, resourceType, entity: id && resourceType ? `${resourceType}/${id}` : undefined, outcome: 'denied', detail });
  }

  /**
   * What to store, given the final HTTP status: writes that "succeeded" inside a transaction that then
   * failed were rolled back; a write request refused before reaching the repository (bad JSON, unknown
   * type) still gets one failed record.
   */
  finalRecords(status: number): AuditRecord[] {
    const failed = status >= 400;
    const records = this.records.map((r) =>
      failed && r.outcome === 'success' ? { ...r, outcome: 'failed' as const, detail: `rolled back: request answered ${status}` } : r,
    );
    const interaction = WRITE_INTERACTION[this.origin.method];
    if (records.length === 0 && failed && interaction && status !== 401 && status !== 403) {
      records.push({ interaction, outcome: 'failed', detail: `request answered ${status}` });
    }
    return records;
  }
}

export class AuditWriter {
  private readonly repo: FhirRepository;
  private readonly logger: Logger;
  private readonly counters: AuthCounters;
  private readonly enabled: boolean;

  constructor(repo: FhirRepository, logger: Logger, counters: AuthCounters, enabled: boolean) {
    this.repo = repo;
    this.logger = logger;
    this.counters = counters;
    this.enabled = enabled;
  }

  /** Stores the trail; never throws (see the module comment for why and what happens instead). */
  async flush(trail: RequestAudit, status: number): Promise<void> {
    await this.write(trail.finalRecords(status), { auth: trail.auth }, trail.origin);
  }

  /** For events outside a FHIR request (sign-in page, token endpoint). Never throws. */
  async write(records: AuditRecord[], actor: AuditActor, origin: RequestOrigin): Promise<void> {
    if (!this.enabled || records.length === 0) return;
    const recorded = new Date().toISOString();
    const events = mergeSameKind(records.map((r) => buildAuditEvent(r, actor, origin, recorded)));
    try {
      await this.repo.withTransaction(async (tx) => {
        for (const event of events) await tx.createResource(event);
      }, { resourceTypes: ['AuditEvent'] });
      this.counters.auditEventsWritten += events.length;
    } catch (err) {
      this.counters.auditWriteFailures += events.length;
      this.logger.error(
        { err, traceId: origin.traceId, lostAuditEvents: events, auditWriteFailures: this.counters.auditWriteFailures },
        'AUDIT WRITE FAILED: the request kept its outcome but its AuditEvents were not stored',
      );
    }
  }
}

/**
 * One AuditEvent per kind of action in a request: the 20 creates of one transaction Bundle are one
 * event listing 20 entities (AuditEvent.entity is 0..*), not 20 events, so auditing a batch costs
 * one write instead of doubling it.
 */
function mergeSameKind(events: AuditEvent[]): AuditEvent[] {
  const byKind = new Map<string, AuditEvent>();
  for (const event of events) {
    const key = JSON.stringify({ ...event, entity: undefined });
    const existing = byKind.get(key);
    if (existing) {
      existing.entity = [...(existing.entity ?? []), ...(event.entity ?? [])];
    } else {
      byKind.set(key, { ...event, entity: [...(event.entity ?? [])] });
    }
  }
  return [...byKind.values()];
}
