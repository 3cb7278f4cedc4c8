import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is changing Patient links right now, so the write listener can say in the merge ledger and the
 * AuditEvent why a link appeared: `$merge` by API, a review decision, the matcher's automatic link.
 * A write without this context (an HL7 A40 transaction, a client editing Patient.link) is `client-write`.
 */
export interface IdentityWriteContext {
  origin: 'api' | 'review' | 'auto-link' | 'rebuild';
  /** The review Task, for decisions. */
  taskId?: string;
  /** Who asked (client or user reference), when known. */
  actor?: string;
}

export const identityWriteContext = new AsyncLocalStorage<IdentityWriteContext>();

export function currentIdentityOrigin(): string {
  return identityWriteContext.getStore()?.origin ?? 'client-write';
}
