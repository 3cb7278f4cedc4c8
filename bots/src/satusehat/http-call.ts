import { setTimeout as sleep } from 'node:timers/promises';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';
import { parseRetryAfter } from '../rest-hook/send-notification.ts';

/** One HTTP exchange with SATUSEHAT, below authentication: timeouts, network errors and 429 waits. */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs: number;
  /** What we were doing, for messages: `search Patient by NIK`. */
  what: string;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Sends the call once. The whole exchange (headers and body) must finish within `timeoutMs`; a
 * timeout, an abort of `signal` or a network error is a `RetryableDeliveryError`.
 */
export async function timedFetch(call: HttpCall, signal: AbortSignal): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(call.timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  try {
    const response = await fetch(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal: combined,
      redirect: 'error',
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (timeout.aborted) {
      throw new RetryableDeliveryError(`SATUSEHAT did not answer ${call.what} within ${call.timeoutMs} ms (${call.method} ${withoutQuery(call.url)})`, { cause: error });
    }
    if (signal.aborted) {
      throw new RetryableDeliveryError(`the delivery attempt ran out of time during ${call.what}`, { cause: error });
    }
    throw new RetryableDeliveryError(`SATUSEHAT could not be reached for ${call.what} (${call.method} ${withoutQuery(call.url)}): ${networkReason(error)}`, { cause: error });
  }
}

export interface RateLimitPolicy {
  /** A `Retry-After` up to this long (all waits of the call together) is waited within the attempt. */
  maxRetryAfterWaitMs: number;
  signal: AbortSignal;
}

/**
 * `timedFetch`, honouring HTTP 429: a `Retry-After` (seconds or an HTTP date) that fits in what is
 * left of `maxRetryAfterWaitMs` is waited and the call sent again; a longer one (or none) becomes a
 * `RetryableDeliveryError` carrying `retryAfterMs`, for the retry schedule.
 */
export async function fetchHonouringRateLimit(call: HttpCall, policy: RateLimitPolicy): Promise<HttpAnswer> {
  let waitedMs = 0;
  for (;;) {
    const answer = await timedFetch(call, policy.signal);
    if (answer.status !== 429) return answer;
    const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'));
    if (retryAfterMs === undefined || waitedMs + retryAfterMs > policy.maxRetryAfterWaitMs) {
      const after = retryAfterMs === undefined ? '' : ` (Retry-After ${Math.ceil(retryAfterMs / 1000)} s)`;
      throw new RetryableDeliveryError(`SATUSEHAT rate-limited ${call.what} with HTTP 429${after}`, retryAfterMs === undefined ? undefined : { retryAfterMs });
    }
    try {
      await sleep(retryAfterMs, undefined, { signal: policy.signal });
    } catch (error) {
      throw new RetryableDeliveryError(`the delivery attempt ran out of time while waiting out a 429 on ${call.what}`, { cause: error, retryAfterMs });
    }
    waitedMs += retryAfterMs;
  }
}

function withoutQuery(url: string): string {
  return url.split('?')[0];
}

/** undici puts the useful part (ECONNREFUSED, ENOTFOUND...) in the cause. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
