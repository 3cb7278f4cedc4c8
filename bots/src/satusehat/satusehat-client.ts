import type { SatusehatDestinationConfig } from '@simpul/infra';
import { PermanentError } from '@simpul/infra';
import { RetryableDeliveryError, type DriverLogger } from '../routing/destination-driver.ts';
import { fetchHonouringRateLimit, type HttpAnswer, type HttpCall } from './http-call.ts';
import { describeErrorBody, responseError } from './response-errors.ts';
import type { SatusehatTokenCache } from './token-cache.ts';

/** A FHIR resource as SATUSEHAT sends it: read loosely, only the fields the driver needs. */
export interface RemoteResource {
  resourceType: string;
  id: string;
  [key: string]: unknown;
}

export interface SatusehatClientOptions {
  destination: SatusehatDestinationConfig;
  tokens: SatusehatTokenCache;
  signal: AbortSignal;
  logger: DriverLogger;
}

type AuthorizedCall = Omit<HttpCall, 'url' | 'timeoutMs'> & { url: string; timeoutMs?: number };

/**
 * SATUSEHAT's FHIR and DICOM endpoints with a bearer token. A 401 drops the token, fetches a new one
 * and repeats the call once; a second 401 is a credentials problem no retry fixes. Other answers are
 * classified by `responseError`.
 */
export class SatusehatClient {
  private readonly destination: SatusehatDestinationConfig;
  private readonly tokens: SatusehatTokenCache;
  private readonly signal: AbortSignal;
  private readonly logger: DriverLogger;

  constructor(options: SatusehatClientOptions) {
    this.destination = options.destination;
    this.tokens = options.tokens;
    this.signal = options.signal;
    this.logger = options.logger;
  }

  /** `GET {fhirUrl}/{type}?identifier={system}|{value}` → the first match, or undefined. */
  async findByIdentifier(type: string, system: string, value: string, what: string): Promise<RemoteResource | undefined> {
    const url = `${this.fhirBase()}/${type}?identifier=${system}%7C${encodeURIComponent(value)}`;
    const answer = await this.send({ method: 'GET', url, headers: { accept: 'application/json' }, what });
    const bundle = parseJson(answer.text, what) as { resourceType?: unknown; total?: unknown; entry?: Array<{ resource?: unknown }> };
    if (bundle?.resourceType !== 'Bundle') throw new RetryableDeliveryError(`SATUSEHAT answered ${what} with something other than a Bundle`);
    const first = bundle.entry?.[0]?.resource as Partial<RemoteResource> | undefined;
    if (first === undefined) return undefined;
    if (typeof first.id !== 'string' || first.id === '') throw new PermanentError(`SATUSEHAT answered ${what} with a ${type} without an id`);
    return first as RemoteResource;
  }

  /** POST (no id) or PUT (with id) of a resource; resolves to what SATUSEHAT stored. */
  async write(resource: Record<string, unknown> & { resourceType: string }, id: string | undefined, what: string): Promise<RemoteResource> {
    const url = id === undefined ? `${this.fhirBase()}/${resource.resourceType}` : `${this.fhirBase()}/${resource.resourceType}/${encodeURIComponent(id)}`;
    const body = JSON.stringify(id === undefined ? resource : { ...resource, id });
    const answer = await this.send({ method: id === undefined ? 'POST' : 'PUT', url, headers: { 'content-type': 'application/json', accept: 'application/json' }, body, what });
    const stored = parseJson(answer.text, what) as Partial<RemoteResource> | null;
    if (stored?.resourceType !== resource.resourceType || typeof stored.id !== 'string' || stored.id === '') {
      throw new PermanentError(`SATUSEHAT answered ${what} with HTTP ${answer.status} but not with the stored ${resource.resourceType}`);
    }
    return stored as RemoteResource;
  }

  /** STOW-RS of one Part 10 file, as the official router sends it (§7 step 6). */
  async uploadInstance(bytes: Uint8Array, imagingStudyId: string, what: string, accept: (answer: HttpAnswer) => boolean): Promise<HttpAnswer> {
    const url = this.destination.dicomUrl;
    if (url === undefined) throw new Error('uploadInstance needs dicomUrl');
    return this.send(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/dicom', accept: 'application/dicom+json', 'x-imagingstudy-id': imagingStudyId },
        body: bytes,
        timeoutMs: this.destination.uploadTimeoutMs,
        what,
      },
      accept,
    );
  }

  private fhirBase(): string {
    return this.destination.fhirUrl.replace(/\/+$/, '');
  }

  private async send(call: AuthorizedCall, accept?: (answer: HttpAnswer) => boolean): Promise<HttpAnswer> {
    const tokenRequest = {
      authUrl: this.destination.authUrl,
      clientId: this.destination.clientId,
      clientSecret: this.destination.clientSecret,
      timeoutMs: this.destination.timeoutMs,
      refreshMarginMs: this.destination.tokenRefreshMarginMs,
      maxRetryAfterWaitMs: this.destination.maxRetryAfterWaitMs,
      signal: this.signal,
      logger: this.logger,
    };
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.token(tokenRequest);
      const answer = await fetchHonouringRateLimit(
        { ...call, timeoutMs: call.timeoutMs ?? this.destination.timeoutMs, headers: { ...call.headers, authorization: `Bearer ${token}` } },
        { maxRetryAfterWaitMs: this.destination.maxRetryAfterWaitMs, signal: this.signal },
      );
      if (answer.status === 401) {
        this.tokens.invalidate(tokenRequest, token);
        if (attempt === 1) {
          this.logger.info({ clientId: this.destination.clientId, what: call.what }, 'SATUSEHAT refused the access token; authenticating again');
          continue;
        }
        throw new PermanentError(
          `SATUSEHAT refused a freshly issued access token for ${call.what} (HTTP 401: ${describeErrorBody(answer.text) || 'no details'}); ` +
            `check that client id ${this.destination.clientId} may use this API and that authUrl and fhirUrl/dicomUrl are the same SATUSEHAT environment`,
        );
      }
      if ((answer.status >= 200 && answer.status < 300) || accept?.(answer) === true) return answer;
      const retryAfterMs = answer.status === 503 ? retryAfterSeconds(answer) : undefined;
      throw responseError({ what: call.what, status: answer.status, body: answer.text, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
  }
}

function retryAfterSeconds(answer: HttpAnswer): number | undefined {
  const value = answer.headers.get('retry-after')?.trim();
  return value && /^\d{1,9}$/.test(value) ? Number(value) * 1000 : undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RetryableDeliveryError(`SATUSEHAT answered ${what} with a body that is not JSON: ${describeErrorBody(text) || '(empty)'}`);
  }
}
