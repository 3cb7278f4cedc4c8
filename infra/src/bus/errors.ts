/**
 * What a consumer's handler throws decides where the message goes next (see `subscription.ts`):
 * - `PermanentError`: retrying cannot help (unknown code, rejected by the destination with 4xx);
 *   the message goes straight to `<queue>.dead` with the reason.
 * - `RetryableError`, or any other error: the message goes to the next retry level, then to
 *   `<queue>.dead` once its attempts are used up.
 */
export class RetryableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

export class PermanentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** Stable codes for failures of the bus itself, so callers can branch without parsing messages. */
export type BusErrorCode =
  /** The connection did not come up within `connectTimeoutMs`. */
  | 'CONNECT_FAILED'
  /** The connection is down or the broker blocked publishers, and did not recover within the publish timeout. */
  | 'NOT_READY'
  /** The broker did not confirm within the publish timeout; the message may still arrive later. */
  | 'PUBLISH_TIMEOUT'
  /** The broker refused the message (basic.nack), e.g. a full queue with `reject-publish`. */
  | 'PUBLISH_NACKED'
  /** A mandatory message matched no queue (basic.return). */
  | 'UNROUTABLE'
  /** The broker or the channel failed the publish, e.g. the exchange does not exist. */
  | 'PUBLISH_FAILED'
  /** A queue that must exist does not. */
  | 'QUEUE_NOT_FOUND'
  /** Declaring an exchange, queue or binding failed, e.g. a queue exists with other arguments. */
  | 'DECLARE_FAILED'
  /** A caller passed something the bus will not send or use. */
  | 'INVALID_ARGUMENT'
  /** A health check failed or timed out. */
  | 'CHECK_FAILED'
  /** The bus was closed. */
  | 'CLOSED';

export class BusError extends Error {
  readonly code: BusErrorCode;

  constructor(code: BusErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BusError';
    this.code = code;
  }
}

/** An error's text for a log line or a dead-letter header: the message, then each cause's, capped in length. */
export function describeError(error: unknown, maxLength = 2000): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message || current.name);
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  const text = parts.join(': caused by: ') || 'unknown error';
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
