import { HubRequestError } from './hub-client.ts';

/** Waits between the in-place retries: about 4 s in all, enough for a hub restart or a burst of write conflicts. */
const IN_ORDER_DELAYS_MS = [200, 500, 1_000, 2_000] as const;

/**
 * Runs `work`, retrying it in place on a transient hub failure (5xx, 408/409/412/429, a network error)
 * while the caller still holds the patient's place in line. A message handed back to the bus instead
 * would come back after later messages of the same patient and overwrite what they wrote; only when
 * the hub stays unavailable past these retries does the bus's retry (and that risk) take over.
 */
export async function withInOrderRetries<T>(work: () => Promise<T>, delaysMs: readonly number[] = IN_ORDER_DELAYS_MS): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await work();
    } catch (err) {
      if (retry >= delaysMs.length || !isTransient(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, delaysMs[retry]));
    }
  }
}

function isTransient(err: unknown): boolean {
  if (err instanceof HubRequestError) return !err.permanent;
  // fetch() failing to connect or being reset: the hub is restarting or overloaded.
  return err instanceof TypeError && /fetch failed|network|socket/i.test(err.message);
}
