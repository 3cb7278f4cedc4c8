import { AsyncLocalStorage } from 'node:async_hooks';

export interface TraceContext {
  traceId: string;
}

/** The trace id of the request being served, so writes deep in the repository can stamp outbox envelopes with it. */
export const traceContext = new AsyncLocalStorage<TraceContext>();

export function currentTraceId(): string | undefined {
  return traceContext.getStore()?.traceId;
}
