import type { Bot, Reference } from '@medplum/fhirtypes';
import type { BotInvocation } from './bot-event.ts';

/** Messages between the runtime and a bot's worker thread (plain data; structured clone). */

export interface BotWorkerData {
  name: string;
  /** file:// URL of the bot module. */
  moduleUrl: string;
  bot: Reference<Bot>;
  secrets: Record<string, string>;
  hub: HubClientSettings;
}

export interface HubClientSettings {
  /** The hub's base URL, ending in `/` (the FHIR API is under `fhir/R4/`). */
  baseUrl: string;
  clientId?: string;
  clientSecret?: string;
}

export type ToWorker = { type: 'invoke'; id: number; invocation: BotInvocation };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'load-failed'; error: string }
  | { type: 'done'; id: number; ok: true }
  | { type: 'done'; id: number; ok: false; error: string; code: 'threw' | 'threw-permanent' | 'not-json' }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; text: string };

const MAX_RESULT_DEPTH = 64;
const MAX_RESULT_NODES = 100_000;

/**
 * Why a handler's return value is not acceptable, or undefined when it is. A bot may return
 * nothing or JSON data (Medplum hands the value back to an HTTP caller as JSON); anything else
 * (a function, a symbol, a BigInt, a class instance, a cycle, NaN) is a broken bot.
 */
export function resultProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let nodes = 0;
  const seen = new Set<object>();
  const visit = (current: unknown, path: string, depth: number): string | undefined => {
    if (++nodes > MAX_RESULT_NODES) return `more than ${MAX_RESULT_NODES} values`;
    if (depth > MAX_RESULT_DEPTH) return `nested deeper than ${MAX_RESULT_DEPTH} levels at ${path}`;
    if (current === null || typeof current === 'string' || typeof current === 'boolean') return undefined;
    if (typeof current === 'number') return Number.isFinite(current) ? undefined : `${String(current)} at ${path}`;
    if (typeof current !== 'object') return `a ${typeof current} at ${path}`;
    if (seen.has(current)) return `a cycle at ${path}`;
    const prototype = Object.getPrototypeOf(current);
    if (!Array.isArray(current) && prototype !== Object.prototype && prototype !== null) {
      return `a ${current.constructor?.name ?? 'non-plain object'} at ${path}`;
    }
    seen.add(current);
    const entries = Array.isArray(current) ? current.map((item, index) => [String(index), item] as const) : Object.entries(current);
    for (const [key, item] of entries) {
      if (item === undefined && !Array.isArray(current)) continue;
      const problem = visit(item, Array.isArray(current) ? `${path}[${key}]` : `${path}.${key}`, depth + 1);
      if (problem) return problem;
    }
    seen.delete(current);
    return undefined;
  };
  return visit(value, 'result', 0);
}

/** An error's text for a dead letter: message (or the thrown value), without a stack. Never throws. */
export function thrownText(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message || error.name);
    if (typeof error === 'string') return error;
    return `a non-Error value was thrown: ${JSON.stringify(error) ?? String(error)}`;
  } catch {
    return 'a value was thrown that cannot be printed';
  }
}
