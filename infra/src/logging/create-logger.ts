import pino from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import { prettyStream } from './pretty-stream.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: LevelWithSilent;
  /** The part writing (`hub`, `mllp`, `bots`...), in every line as `name`. */
  name: string;
  /** One readable line per entry instead of JSON. */
  pretty?: boolean;
  /** Where lines go; default standard output. */
  destination?: DestinationStream;
}

/**
 * Secrets that must never reach a log line, wherever a caller puts them (one level of nesting
 * covered by `*.`). Configuration is logged through `redactConfig`, which catches the rest.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
  'password',
  '*.password',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'id_token',
  '*.id_token',
];

/** JSON lines with an ISO `time`, `level` as a label (`"info"`), `name`, and `traceId` in traced children. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.pretty ? prettyStream(options.destination ?? process.stdout) : options.destination;
  const settings: pino.LoggerOptions = {
    name: options.name,
    level: options.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...LOG_REDACT_PATHS], censor: '***' },
  };
  return destination ? pino(settings, destination) : pino(settings);
}
