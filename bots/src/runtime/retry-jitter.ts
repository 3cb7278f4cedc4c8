/**
 * Retries wait in TTL queues (`bot.<name>.retry.<n>`), so every message of one level waits the
 * same time: backoff is exponential by level (the configured `retryDelaysMs`), but not jittered.
 * The jitter is added here: before a retried attempt the consumer waits a random part of that
 * level's delay (at most 20 %, at most 2 s), so deliveries that failed together (an endpoint
 * outage) do not all come back in the same instant. The wait holds one prefetch slot, which is
 * what spreads them out.
 */
const JITTER_RATIO = 0.2;
const MAX_JITTER_MS = 2_000;

/** Milliseconds to wait before attempt number `attempt` (1-based); 0 for the first. */
export function retryJitterMs(attempt: number, retryDelaysMs: readonly number[], random: () => number = Math.random): number {
  if (attempt <= 1 || retryDelaysMs.length === 0) return 0;
  const level = Math.min(attempt - 1, retryDelaysMs.length);
  const ceiling = Math.min(retryDelaysMs[level - 1] * JITTER_RATIO, MAX_JITTER_MS);
  return Math.floor(random() * ceiling);
}
