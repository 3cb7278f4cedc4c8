import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

/** A new trace id (UUID v4): one per inbound message or request, carried in envelopes and logs. */
export function newTraceId(): string {
  return randomUUID();
}

/** A child logger whose every line carries `traceId`. */
export function withTrace(logger: Logger, traceId: string): Logger {
  return logger.child({ traceId });
}
