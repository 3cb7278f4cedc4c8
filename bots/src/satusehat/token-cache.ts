import { PermanentError } from '@simpul/infra';
import { RetryableDeliveryError, type DriverLogger } from '../routing/destination-driver.ts';
import { fetchHonouringRateLimit } from './http-call.ts';
import { describeErrorBody, responseError } from './response-errors.ts';

/**
 * SATUSEHAT's OAuth2 client-credentials token (shared/SATUSEHAT.md §2), cached per (authUrl, clientId).
 *
 * Written with fetch rather than `openid-client` (DESIGN.md's choice for OAuth2 clients) because the
 * platform's token call is not one openid-client v6 / oauth4webapi can make or read: `grant_type` must
 * be in the query string, and the answer's `token_type` is `"BearerToken"`, which oauth4webapi refuses
 * as an unsupported token type (its `recognizedTokenTypes` escape hatch is not reachable from
 * `clientCredentialsGrant`). Its errors are OperationOutcomes, not RFC 6749 error bodies, either. Making
 * the library accept all that would mean rewriting the response in a custom fetch: more code than this.
 */

export interface TokenRequest {
  authUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  /** Re-authenticate this long before `issued_at + expires_in`. */
  refreshMarginMs: number;
  maxRetryAfterWaitMs: number;
  signal: AbortSignal;
  logger: DriverLogger;
}

interface CachedToken {
  accessToken: string;
  /** Epoch ms after which a new token is fetched. */
  renewAt: number;
}

export class SatusehatTokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** A valid access token; concurrent callers for the same client share one token request. */
  async token(request: TokenRequest): Promise<string> {
    const key = cacheKey(request);
    const cached = this.tokens.get(key);
    if (cached !== undefined && this.now() < cached.renewAt) return cached.accessToken;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(request).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return (await abortable(pending, request.signal)).accessToken;
  }

  /** Forgets `accessToken` (SATUSEHAT refused it); a newer token another caller already fetched is kept. */
  invalidate(request: Pick<TokenRequest, 'authUrl' | 'clientId'>, accessToken: string): void {
    const key = cacheKey(request);
    if (this.tokens.get(key)?.accessToken === accessToken) this.tokens.delete(key);
  }

  private async fetchToken(request: TokenRequest): Promise<CachedToken> {
    const url = `${request.authUrl.replace(/\/+$/, '')}/accesstoken?grant_type=client_credentials`;
    const requestedAt = this.now();
    // Not the caller's signal: the request is shared, and one caller giving up must not fail the others.
    const answer = await fetchHonouringRateLimit(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ client_id: request.clientId, client_secret: request.clientSecret }).toString(),
        timeoutMs: request.timeoutMs,
        what: 'the access token request',
      },
      { maxRetryAfterWaitMs: request.maxRetryAfterWaitMs, signal: AbortSignal.timeout(request.timeoutMs + request.maxRetryAfterWaitMs) },
    );
    if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
      throw new PermanentError(
        `SATUSEHAT refused the client credentials of client id ${request.clientId} at ${request.authUrl} (HTTP ${answer.status}: ${describeErrorBody(answer.text) || 'no details'}); check clientId and clientSecret of this destination`,
      );
    }
    if (answer.status !== 200) throw responseError({ what: 'the access token request', status: answer.status, body: answer.text });

    const token = readTokenBody(answer.text);
    const lifetimeMs = token.expiresInSeconds * 1000;
    // issued_at is the platform's clock; trust it only while it agrees with ours to within the lifetime.
    const issuedAt = token.issuedAt !== undefined && Math.abs(token.issuedAt - requestedAt) < lifetimeMs ? token.issuedAt : requestedAt;
    const cached = { accessToken: token.accessToken, renewAt: issuedAt + lifetimeMs - request.refreshMarginMs };
    this.tokens.set(cacheKey(request), cached);
    request.logger.info({ authUrl: request.authUrl, clientId: request.clientId, expiresInSeconds: token.expiresInSeconds }, 'SATUSEHAT access token obtained');
    return cached;
  }
}

interface TokenBody {
  accessToken: string;
  expiresInSeconds: number;
  issuedAt?: number;
}

/** The platform sends every value as a string (`"expires_in": "3599"`); numbers are accepted too. */
export function readTokenBody(text: string): TokenBody {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new RetryableDeliveryError('SATUSEHAT answered the access token request with HTTP 200 but no JSON body');
  }
  if (json === null || typeof json !== 'object') throw new RetryableDeliveryError('SATUSEHAT answered the access token request with HTTP 200 but no JSON object');
  const accessToken = json.access_token;
  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    throw new RetryableDeliveryError('SATUSEHAT answered the access token request with HTTP 200 but without an access_token');
  }
  const tokenType = typeof json.token_type === 'string' ? json.token_type.toLowerCase() : 'bearertoken';
  if (tokenType !== 'bearertoken' && tokenType !== 'bearer') {
    throw new PermanentError(`SATUSEHAT issued a token of type "${String(json.token_type)}"; only BearerToken is supported`);
  }
  const expiresIn = toNumber(json.expires_in);
  const issuedAt = toNumber(json.issued_at);
  return {
    accessToken,
    // Without a usable expires_in the token is used for this delivery only, then fetched again.
    expiresInSeconds: expiresIn !== undefined && expiresIn > 0 ? expiresIn : 0,
    ...(issuedAt !== undefined && issuedAt > 0 ? { issuedAt } : {}),
  };
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function cacheKey(request: Pick<TokenRequest, 'authUrl' | 'clientId'>): string {
  return `${request.authUrl.replace(/\/+$/, '')}\u0000${request.clientId}`;
}

/** Rejects when `signal` aborts, without cancelling the shared promise. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new RetryableDeliveryError('the delivery attempt ran out of time waiting for a SATUSEHAT access token'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new RetryableDeliveryError('the delivery attempt ran out of time waiting for a SATUSEHAT access token'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
