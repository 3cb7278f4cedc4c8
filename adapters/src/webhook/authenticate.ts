import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';

/** Checks a bearer token against a source's credentials. */
export type TokenVerifier = (token: string) => Promise<boolean>;

/** Constant-time comparison of the presented secret with the configured one (digests, so lengths never leak). */
export function secretMatches(presented: string, secret: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/**
 * Hub access tokens (client credentials): signature checked against the hub's JWKS, issuer and
 * expiry checked, and the `client_id` claim must be one of the source's clients. Revocation is not
 * seen here (the tokens are short-lived).
 */
export function hubTokenVerifier(hubBaseUrl: string): (token: string, clientIds: readonly string[]) => Promise<boolean> {
  const jwks = createRemoteJWKSet(new URL('oauth2/jwks', hubBaseUrl));
  return async (token, clientIds) => {
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: hubBaseUrl });
      return typeof payload.client_id === 'string' && clientIds.includes(payload.client_id);
    } catch {
      // Any failure (bad signature, expired, hub unreachable for the keys) is "not authenticated".
      return false;
    }
  };
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
