import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryFailure, permanentFailure, retryableFailure } from '../errors.ts';
import { endpointForAudit } from '../runtime/delivery-audit.ts';
import type { Notification } from './notification.ts';

export interface SendOptions {
  /** Whole request, headers and body, must finish within this. */
  timeoutMs: number;
  /** A 429/503 `Retry-After` up to this long is waited for and the request sent once more. */
  maxRetryAfterWaitMs: number;
}

export interface SendResult {
  status: number;
  /** Time spent waiting for a `Retry-After`. */
  waitedMs: number;
}

/** Statuses a receiver uses for "not now": worth another attempt. Every other 4xx is a refusal. */
const RETRYABLE_4XX = new Set([408, 425, 429]);
const ERROR_BODY_PREVIEW = 300;

/**
 * POSTs one notification. 2xx is success. A 4xx other than 408/425/429 means the receiver refuses
 * this request as it is (wrong URL, auth, payload): a permanent failure, dead-lettered at once so
 * it can be replayed after the fix. 5xx, 408/425/429, timeouts and network errors are retried on
 * the schedule; a short `Retry-After` is honoured within the attempt. Redirects are not followed.
 */
export async function sendNotification(notification: Notification, options: SendOptions): Promise<SendResult> {
  let waitedMs = 0;
  for (let round = 0; ; round++) {
    const response = await post(notification, options.timeoutMs);
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel();
      return { status: response.status, waitedMs };
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    const canWait = (response.status === 429 || response.status === 503) && retryAfterMs !== undefined && retryAfterMs <= options.maxRetryAfterWaitMs;
    if (round === 0 && canWait) {
      await response.body?.cancel();
      await sleep(retryAfterMs);
      waitedMs += retryAfterMs;
      continue;
    }
    const preview = await bodyPreview(response);
    const where = endpointForAudit(notification.url);
    const text = `${where} answered HTTP ${response.status}${retryAfterMs !== undefined ? ` (Retry-After ${Math.round(retryAfterMs / 1000)} s)` : ''}${preview ? `: ${preview}` : ''}`;
    if (response.status >= 400 && response.status < 500 && !RETRYABLE_4XX.has(response.status)) {
      throw permanentFailure(DeliveryFailure.ENDPOINT_REFUSED, text);
    }
    throw retryableFailure(DeliveryFailure.ENDPOINT_FAILED, text);
  }
}

async function post(notification: Notification, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(notification.url, {
      method: 'POST',
      headers: notification.headers,
      body: notification.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const where = endpointForAudit(notification.url);
    const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkReason(error);
    throw retryableFailure(DeliveryFailure.ENDPOINT_UNREACHABLE, `${where}: ${reason}`, error);
  }
}

/** undici puts the useful part (ECONNREFUSED, ENOTFOUND...) in the cause. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** Seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // An HTTP date (IMF-fixdate, "Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone would take "-1".
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The start of an error response, as one line of printable text. */
async function bodyPreview(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_PREVIEW) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut off mid-way still tells what it managed to say.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_BODY_PREVIEW);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001F\u007F]+/g, ' ').trim();
}
