export interface HealthCheckResult {
  ok: boolean;
  /** How long the check took (or how long it was given before timing out), in whole milliseconds. */
  ms: number;
  error?: string;
}

export interface HealthReport {
  ok: boolean;
  checks: Record<string, HealthCheckResult>;
}

export interface HealthCheckOptions {
  /** Default 2000. */
  timeoutMs?: number;
}

export const DEFAULT_HEALTH_TIMEOUT_MS = 2000;

interface RegisteredCheck {
  check: () => Promise<void>;
  timeoutMs: number;
}

/**
 * Named dependency checks (database reachable, bus connected...) run together for a readiness
 * probe. A check that throws is reported with its message; one that hangs is cut off at its
 * timeout, so the probe always answers.
 */
export class HealthChecks {
  readonly #checks = new Map<string, RegisteredCheck>();

  register(name: string, check: () => Promise<void>, options: HealthCheckOptions = {}): void {
    if (!name) throw new Error('a health check needs a name');
    if (this.#checks.has(name)) throw new Error(`health check "${name}" is already registered`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new Error(`health check "${name}": timeoutMs must be a positive number, got ${timeoutMs}`);
    }
    this.#checks.set(name, { check, timeoutMs });
  }

  async run(): Promise<HealthReport> {
    const entries = [...this.#checks.entries()];
    const results = await Promise.all(entries.map(([, registered]) => runOne(registered)));
    const checks: Record<string, HealthCheckResult> = {};
    entries.forEach(([name], index) => {
      checks[name] = results[index];
    });
    return { ok: results.every((result) => result.ok), checks };
  }
}

const TIMED_OUT = Symbol('timed out');

async function runOne({ check, timeoutMs }: RegisteredCheck): Promise<HealthCheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  try {
    // Called inside the race so that a check which throws before returning a promise is caught too.
    const outcome = await Promise.race([Promise.resolve().then(check), timedOut]);
    const ms = Math.round(performance.now() - started);
    if (outcome === TIMED_OUT) return { ok: false, ms, error: `timed out after ${timeoutMs} ms` };
    return { ok: true, ms };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Connection failures often come as an AggregateError with an empty message (one error per address tried). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((inner: unknown) => describeError(inner)).join('; ');
  }
  return (error as NodeJS.ErrnoException).code ?? error.name;
}
