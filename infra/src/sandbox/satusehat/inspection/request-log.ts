import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FaultKind } from '../faults/fault-controller.ts';

/** One request the sandbox answered, as a test or a person inspects it afterwards. */
export interface ReceivedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path with the query string, as received. */
  url: string;
  /** Request headers; credentials are masked (`authorization: "Bearer ***"`). */
  headers: Record<string, string>;
  /** The parsed body (JSON, or form fields with `client_secret` masked); absent for DICOM. */
  body?: unknown;
  /** Size of a binary (DICOM) body. */
  bodyBytes?: number;
  receivedAt: string;
  status: number;
  durationMs: number;
  /** The injected fault that answered (or delayed) this request. */
  fault?: FaultKind;
}

const MASK = '***';
const SECRET_HEADERS = new Set(['cookie', 'x-api-key', 'proxy-authorization']);
const SECRET_FIELDS = new Set(['client_secret', 'access_token', 'password']);

/** Records every request outside the control API, with secrets masked. */
export class RequestLog {
  private entries: ReceivedRequest[] = [];
  private readonly started = new WeakMap<FastifyRequest, { at: string; startedMs: number; fault?: FaultKind }>();
  private readonly now: () => number;
  private readonly exempt: (path: string) => boolean;

  constructor(now: () => number, exempt: (path: string) => boolean) {
    this.now = now;
    this.exempt = exempt;
  }

  readonly onRequest = async (request: FastifyRequest): Promise<void> => {
    this.started.set(request, { at: new Date(this.now()).toISOString(), startedMs: performance.now() });
  };

  noteFault(request: FastifyRequest, kind: FaultKind): void {
    const started = this.started.get(request);
    if (started) started.fault = kind;
  }

  readonly onResponse = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = request.url.split('?')[0];
    const started = this.started.get(request);
    if (this.exempt(path) || started === undefined) return;
    const entry: ReceivedRequest = {
      method: request.method,
      path,
      url: request.url,
      headers: maskedHeaders(request.headers),
      receivedAt: started.at,
      status: reply.statusCode,
      durationMs: Math.round(performance.now() - started.startedMs),
    };
    const body = request.body;
    if (Buffer.isBuffer(body)) entry.bodyBytes = body.length;
    else if (body instanceof URLSearchParams) entry.body = maskedFields(Object.fromEntries(body));
    else if (body !== undefined && body !== null) entry.body = typeof body === 'object' && !Array.isArray(body) ? maskedFields(body as Record<string, unknown>) : body;
    if (started.fault !== undefined) entry.fault = started.fault;
    this.entries.push(entry);
  };

  all(): ReceivedRequest[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}

function maskedHeaders(headers: FastifyRequest['headers']): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'authorization') masked[name] = `${text.split(' ')[0]} ${MASK}`;
    else masked[name] = SECRET_HEADERS.has(name) ? MASK : text;
  }
  return masked;
}

function maskedFields(fields: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(fields);
  for (const key of Object.keys(copy)) if (SECRET_FIELDS.has(key)) copy[key] = MASK;
  return copy;
}
