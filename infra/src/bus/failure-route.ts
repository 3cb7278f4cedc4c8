import type { DeadReason } from './delivery-headers.ts';
import { PermanentError } from './errors.ts';
import { deadQueueName, retryQueueName } from './topology.ts';

/** What a consumer knows about the queues around the one it consumes. */
export interface RetryPlan {
  /** Number of `<queue>.retry.<n>` queues. */
  retryLevels: number;
  /** Whether `<queue>.dead` exists. */
  hasDeadQueue: boolean;
  /** Attempts before a message is dead-lettered (first try included). */
  maxAttempts: number;
}

export type FailureRoute =
  /** Republish to `queue` (a retry queue, or the work queue itself when it has none), then ack. */
  | { action: 'retry'; queue: string }
  /** Republish to `<queue>.dead` with the reason, then ack. */
  | { action: 'dead'; queue: string; reason: DeadReason }
  /** Nowhere safe to put it: give it back to the work queue (after a pause) rather than lose it. */
  | { action: 'requeue' };

/**
 * Where a message goes after attempt number `attempt` (1-based) failed with `error`. Attempts past
 * the last retry level reuse the last level's delay.
 */
export function routeFailure(queue: string, plan: RetryPlan, attempt: number, error: unknown, malformed = false): FailureRoute {
  const toDead = (reason: DeadReason): FailureRoute =>
    plan.hasDeadQueue ? { action: 'dead', queue: deadQueueName(queue), reason } : { action: 'requeue' };
  if (malformed) return toDead('malformed');
  if (error instanceof PermanentError) return toDead('permanent');
  if (attempt >= plan.maxAttempts) return toDead('exhausted');
  if (plan.retryLevels === 0) return { action: 'retry', queue };
  return { action: 'retry', queue: retryQueueName(queue, Math.min(attempt, plan.retryLevels)) };
}
