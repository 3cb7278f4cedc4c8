import { AsyncLocalStorage } from 'node:async_hooks';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/** Set for an HTTP search request only (never for writes), so conditional writes stay strict. */
export interface SearchRequestContext {
  /** From `Prefer: handling=strict|lenient`; lenient (the default) ignores unknown parameters. */
  handling: 'strict' | 'lenient';
  /** Parameters ignored under lenient handling; the HTTP layer reports them in the Bundle. */
  issues: OperationOutcomeIssue[];
}

export interface TraceContext {
  traceId: string;
  search?: SearchRequestContext;
}

/** The trace id of the request being served, so writes deep in the repository can stamp outbox envelopes with it. */
export const traceContext = new AsyncLocalStorage<TraceContext>();

export function currentTraceId(): string | undefined {
  return traceContext.getStore()?.traceId;
}

/** The search context of the HTTP search being served, if this is one. */
export function currentSearchContext(): SearchRequestContext | undefined {
  return traceContext.getStore()?.search;
}
