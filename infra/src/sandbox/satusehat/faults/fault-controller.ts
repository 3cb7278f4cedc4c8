import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Section 10.7's faults, plus the two the bot must survive: a slow answer and a token that expired early. */
export const FAULT_KINDS = ['5xx', '429', 'slow', 'expired-token', 'business-rule'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const faultSpecSchema = z.strictObject({
  /**
   * `METHOD /path`, `/path` (any method) or `* /path`; `*` in the path matches any run of
   * characters, e.g. `PUT /fhir-r4/v1/ImagingStudy/*`. Matched against the path without its query.
   */
  route: z.string().regex(/^(?:(?:[A-Za-z]+|\*) +)?\/\S*$/, 'a route such as "POST /fhir-r4/v1/ImagingStudy" or "/dicom/v1/*"'),
  kind: z.enum(FAULT_KINDS),
  /** How many matching requests get the fault; after that the route answers normally again. */
  times: z.int().min(1).default(1),
  /** `5xx` only: the status (the body is its reason phrase as text/plain, e.g. `Gateway Timeout`). */
  status: z.int().min(500).max(599).default(504),
  /** `429` only: the `Retry-After` header, in seconds. */
  retryAfterSeconds: z.int().min(0).default(1),
  /** `slow` only: how long to wait before answering normally. */
  delayMs: z.int().min(0).max(600_000).default(2000),
});

export type FaultSpec = z.input<typeof faultSpecSchema>;

export interface ActiveFault {
  id: string;
  route: string;
  kind: FaultKind;
  /** Matching requests still to be faulted. */
  remaining: number;
  /** Matching requests faulted so far. */
  fired: number;
  status: number;
  retryAfterSeconds: number;
  delayMs: number;
}

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

interface Armed {
  fault: ActiveFault;
  method: string | undefined;
  path: RegExp;
}

/**
 * Faults waiting for matching requests, fired in the order they were injected (the first armed
 * fault that matches wins) and dropped once they have fired `times` times.
 */
export class FaultController {
  private armed: Armed[] = [];
  private readonly expireTokens: () => void;

  constructor(expireTokens: () => void) {
    this.expireTokens = expireTokens;
  }

  inject(spec: FaultSpec): ActiveFault {
    const parsed = faultSpecSchema.safeParse(spec);
    if (!parsed.success) throw new FaultSpecError(z.prettifyError(parsed.error));
    const { route, times, ...rest } = parsed.data;
    const fault: ActiveFault = { id: randomUUID(), route, remaining: times, fired: 0, ...rest };
    this.armed.push({ fault, ...compileRoute(route) });
    return { ...fault };
  }

  /** Faults still armed, with their remaining counts. */
  active(): ActiveFault[] {
    return this.armed.map(({ fault }) => ({ ...fault }));
  }

  remove(id: string): boolean {
    const before = this.armed.length;
    this.armed = this.armed.filter(({ fault }) => fault.id !== id);
    return this.armed.length < before;
  }

  clear(): void {
    this.armed = [];
  }

  /** Every token issued so far answers 401 "expired" from now on; clients must fetch a new one. */
  expireAllTokens(): void {
    this.expireTokens();
  }

  /** The fault this request gets, if any, counted as fired. */
  take(method: string, path: string): ActiveFault | undefined {
    const index = this.armed.findIndex((armed) => (armed.method === undefined || armed.method === method.toUpperCase()) && armed.path.test(path));
    if (index < 0) return undefined;
    const { fault } = this.armed[index];
    fault.remaining -= 1;
    fault.fired += 1;
    if (fault.remaining === 0) this.armed.splice(index, 1);
    return { ...fault };
  }
}

function compileRoute(route: string): { method: string | undefined; path: RegExp } {
  const space = route.indexOf(' ');
  const method = space < 0 ? '*' : route.slice(0, space).toUpperCase();
  const path = space < 0 ? route : route.slice(space).trim();
  const pattern = path
    .split('*')
    .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return { method: method === '*' ? undefined : method, path: new RegExp(`^${pattern}$`) };
}
