/**
 * Koa middleware wrapped around oidc-provider's endpoints, for what it does not do itself:
 *  - introspection and revocation of JWT access tokens. oidc-provider refuses structured tokens at
 *    both endpoints (they are not stored), after authenticating the calling client; for our own JWTs
 *    the hub answers instead: introspection verifies the token like the FHIR API does, revocation puts
 *    its jti on the revocation list (refresh tokens are opaque and revoked by oidc-provider, which
 *    also revokes their grant and so every access token of it);
 *  - the SMART token response: `patient` (launch context) and the granted OpenID scopes in `scope`;
 *    for people also Medplum's `project` and `profile` references, which MedplumClient stores as its
 *    active login before it reads /auth/me;
 *  - a Retry-After header on 429 answers, and an audit record for failed token requests;
 *  - `offline_access` without `prompt=consent`: OpenID Connect says to ignore it then, and
 *    oidc-provider does; SMART apps never send prompt=consent. The hub's sign-in page is the consent
 *    (it lists what the app asks for), so such requests get prompt=consent added and the person sees
 *    the page, which then grants the refresh token.
 */
import { decodeProtectedHeader } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AccessTokenVerifier } from './access-token.ts';
import type { AuthContext } from './auth-context.ts';
import type { RevocationList } from './revocations.ts';

type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

/** Kept on the list a minute past the token's own expiry, to cover clock tolerance. */
const REVOCATION_MARGIN_MS = 60_000;

export function structuredTokenEndpoints(verifier: AccessTokenVerifier, revocations: RevocationList): Middleware {
  return async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'introspection' && route !== 'revocation') return;
    const client = ctx.oidc.client;
    const token = ctx.oidc.params?.token;
    if (!client || typeof token !== 'string' || ctx.status !== 400 || ctx.body?.error !== 'unsupported_token_type' || !isJwt(token)) return;
    let auth: AuthContext | undefined;
    try {
      auth = await verifier.verify(token);
    } catch {
      auth = undefined; // an invalid token is simply inactive (RFC 7662) / nothing to revoke (RFC 7009)
    }
    ctx.status = 200;
    if (route === 'introspection') {
      ctx.type = 'application/json';
      const visible = auth && !(client.clientAuthMethod === 'none' && auth.clientId !== client.clientId);
      ctx.body = visible && auth ? introspection(auth, verifier) : { active: false };
      return;
    }
    if (auth && auth.clientId !== client.clientId) {
      if (client.clientAuthMethod !== 'none') {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'client is not authorized to revoke the presented token' };
        return;
      }
    } else if (auth) {
      await revocations.revoke('jti', auth.tokenId, new Date(auth.expiresAt * 1000 + REVOCATION_MARGIN_MS));
    }
    ctx.body = '';
  };
}

export function offlineAccessConsent(authorizePath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === authorizePath) {
      const query = ctx.query as Record<string, string | string[] | undefined>;
      const scope = typeof query.scope === 'string' ? query.scope.split(' ') : [];
      if (scope.includes('offline_access') && query.prompt === undefined) ctx.query = { ...query, prompt: 'consent' };
    }
    await next();
  };
}

export function smartTokenResponse(fhirBase: string): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || typeof ctx.body !== 'object' || !ctx.body?.access_token) return;
    const extra = ctx.oidc.entities.AccessToken?.extra ?? {};
    if (typeof extra.patient === 'string') ctx.body.patient = extra.patient;
    if (typeof extra.fhirUser === 'string' && extra.fhirUser.startsWith(`${fhirBase}/`)) {
      ctx.body.project = { reference: 'Project/simpul', display: 'Simpul' };
      ctx.body.profile = { reference: extra.fhirUser.slice(fhirBase.length + 1) };
    }
    const grant = ctx.oidc.entities.Grant;
    const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
    if (grant && source?.scopes instanceof Set) {
      const words = new Set<string>(String(ctx.body.scope ?? '').split(' ').filter(Boolean));
      for (const word of String(grant.getOIDCScopeFiltered(source.scopes)).split(' ').filter(Boolean)) words.add(word);
      ctx.body.scope = [...words].join(' ');
    }
  };
}

export function tokenFailures(retryAfterSeconds: number, onFailure: (ctx: KoaContextWithOIDC) => Promise<void>): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status === 429) ctx.set('Retry-After', String(retryAfterSeconds));
    if (ctx.oidc?.route === 'token' && ctx.status >= 400) await onFailure(ctx);
  };
}

function introspection(auth: AuthContext, verifier: AccessTokenVerifier): Record<string, unknown> {
  return {
    active: true,
    token_type: 'Bearer',
    scope: auth.scope,
    client_id: auth.clientId,
    sub: auth.subject,
    iss: verifier.issuerUrl,
    aud: verifier.audienceUrl,
    exp: auth.expiresAt,
    iat: auth.issuedAt,
    jti: auth.tokenId,
    ...(auth.loginId ? { login_id: auth.loginId } : undefined),
    ...(auth.fhirUser ? { fhirUser: `${verifier.audienceUrl}/${auth.fhirUser}` } : undefined),
    ...(auth.patientId ? { patient: auth.patientId } : undefined),
  };
}

function isJwt(token: string): boolean {
  try {
    return !!decodeProtectedHeader(token);
  } catch {
    return false;
  }
}
