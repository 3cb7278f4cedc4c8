import pino from 'pino';
import type { Logger } from 'pino';

/** The part of a pino logger the bus writes to (the one from `createLogger` fits). */
export type BusLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export function silentLogger(): BusLogger {
  return pino({ level: 'silent' });
}
