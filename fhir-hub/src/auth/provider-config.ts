/**
 * oidc-provider's configuration for the hub: SMART App Launch 2.0 and Backend Services on top of OAuth
 * 2.0 / OIDC. What matters, and why:
 *  - one resource server, the FHIR base `<baseUrl>fhir/R4`; every access token is a JWT for it (the
 *    audience), RS256-signed, carrying `scope`, `client_id`, `sub`, and for people `login_id` (the grant
 *    id, which MedplumClient needs to treat the session as a Medplum one), `fhirUser` and `patient`;
 *  - oidc-provider silently drops scopes it does not know. SMART scopes are not static, so the resource
 *    server's scope list is computed per request: the requested SMART scopes the client is registered
 *    for, in the contexts the grant allows (system/ for client credentials, patient/ and user/ for
 *    people). The FHIR side still checks the `scope` claim it receives, never assumes;
 *  - PKCE S256 for every authorization code, public or confidential client;
 *  - client secrets are stored hashed, so HMAC client authentication (client_secret_jwt) is off;
 *  - no dev interactions: the hub serves its own sign-in page (interaction-routes.ts).
 */
import { errors, type KoaContextWithOIDC, type OidcClient } from 'oidc-provider';
import type { Sql } from '../db/connect.ts';
import type { AuthOptions } from './auth-options.ts';
import { launchPatient } from './launch-context.ts';
import { ClientAdapter, PostgresModelAdapter, type GrantRevoked } from './oidc-adapter.ts';
import type { KeyRing } from './signing-keys.ts';
import { renderLogout, renderMessage } from './sign-in-page.ts';
import { grantableResourceScopes, isOidcScope, OIDC_SCOPES, splitScope, type ScopeContext } from './smart-scopes.ts';
import { findUserById } from './user-store.ts';

export interface ProviderDeps {
  sql: Sql;
  /** Public base URL ending in `/`; also the issuer. */
  baseUrl: string;
  /** `<baseUrl>fhir/R4`: the only resource server and the audience of every access token. */
  fhirAudience: string;
  keyRing: KeyRing;
  cookieKey: string;
  options: AuthOptions;
  onGrantRevoked: GrantRevoked;
}

/** Client assertion algorithms: SMART Backend Services requires RS384 and ES384 to be accepted. */
const CLIENT_ASSERTION_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'ES256', 'ES384'];

export function providerConfiguration(deps: ProviderDeps): Record<string, unknown> {
  const { sql, baseUrl, fhirAudience, options } = deps;
  return {
    adapter: (model: string) => (model === 'Client' ? new ClientAdapter(sql) : new PostgresModelAdapter(model, sql, deps.onGrantRevoked)),
    jwks: deps.keyRing.providerJwks(),
    cookies: {
      keys: [deps.cookieKey],
      names: { session: 'simpul_session', interaction: 'simpul_interaction', resume: 'simpul_resume' },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    scopes: [...OIDC_SCOPES],
    claims: { openid: ['sub'], fhirUser: ['fhirUser'], profile: ['preferred_username'] },
    extraClientMetadata: { properties: ['fhir_scope'] },
    extraParams: {
      // SMART apps name the FHIR server they want a token for; it must be this hub's.
      aud(_ctx: KoaContextWithOIDC, value: string | undefined) {
        if (value !== undefined && value.replace(/\/$/, '') !== fhirAudience) {
          throw new errors.InvalidRequest(`aud must be this hub's FHIR base URL, ${fhirAudience}`);
        }
      },
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: CLIENT_ASSERTION_ALGS,
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'ES256'],
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true, allowedPolicy: revocationAllowed },
      // Access tokens are JWTs for the FHIR audience, which oidc-provider's userinfo refuses; the hub
      // answers /oauth2/userinfo itself from the verified token.
      userinfo: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          ctx.type = 'html';
          ctx.body = renderLogout(form, ctx.host);
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = renderMessage('Signed out', 'You are signed out of the Simpul hub.');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => fhirAudience,
        useGrantedResource: async () => true,
        getResourceServerInfo: (ctx: KoaContextWithOIDC, resource: string, client: OidcClient) =>
          resourceServerInfo(ctx, resource, client, deps),
      },
    },
    routes: {
      authorization: '/oauth2/authorize',
      token: '/oauth2/token',
      jwks: '/oauth2/jwks',
      introspection: '/oauth2/introspect',
      revocation: '/oauth2/revoke',
      end_session: '/oauth2/logout',
      pushed_authorization_request: '/oauth2/par',
      userinfo: '/oauth2/userinfo',
      registration: '/oauth2/register',
      code_verification: '/oauth2/device',
      device_authorization: '/oauth2/device/auth',
      backchannel_authentication: '/oauth2/backchannel',
      challenge: '/oauth2/challenge',
      credential: '/oauth2/credential',
    },
    discovery: {
      userinfo_endpoint: `${baseUrl}oauth2/userinfo`,
      service_documentation: `${baseUrl}.well-known/smart-configuration`,
    },
    interactions: { url: async (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `${baseUrl}oauth2/interaction/${interaction.uid}` },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => {
      const user = await findUserById(sql, sub);
      if (!user || user.disabledAt) return undefined;
      return {
        accountId: user.id,
        claims: async () => ({ sub: user.id, fhirUser: `${fhirAudience}/${user.fhirUser}`, preferred_username: user.username }),
      };
    },
    extraTokenClaims: async (_ctx: KoaContextWithOIDC, token: { kind: string; accountId?: string; grantId?: string }) => {
      if (token.kind !== 'AccessToken' || !token.accountId || !token.grantId) return undefined;
      const user = await findUserById(sql, token.accountId);
      if (!user) return { login_id: token.grantId };
      const ownPatient = user.fhirUser.startsWith('Patient/') ? user.fhirUser.slice('Patient/'.length) : undefined;
      const patient = ownPatient ?? (await launchPatient(sql, token.grantId));
      return { login_id: token.grantId, fhirUser: `${fhirAudience}/${user.fhirUser}`, ...(patient ? { patient } : undefined) };
    },
    ttl: {
      AccessToken: options.userAccessTokenTtl,
      ClientCredentials: options.clientAccessTokenTtl,
      AuthorizationCode: 60,
      IdToken: options.userAccessTokenTtl,
      RefreshToken: options.refreshTokenTtl,
      Grant: options.refreshTokenTtl,
      Session: options.sessionTtl,
      Interaction: options.interactionTtl,
    },
    ...(options.allowPrivateJwksUrls
      ? { fetch: (url: string, init: RequestInit & { dispatcher?: unknown }) => globalThis.fetch(url, { ...init, dispatcher: undefined } as RequestInit) }
      : undefined),
    clientBasedCORS: (_ctx: KoaContextWithOIDC, origin: string, client: OidcClient) =>
      client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    renderError: async (ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = renderMessage('Sign-in problem', `${out.error ?? 'error'}: ${out.error_description ?? 'the request could not be completed'}`);
    },
  };
}

/**
 * The FHIR resource server as oidc-provider sees it for this request. `scope` is what may be granted
 * now: the requested resource scopes (or, on the token endpoint, those already in the grant) that the
 * client is registered for, in the contexts of the grant type. A client-credentials request naming no
 * resource scope gets everything its registration allows, which is what MedplumClient-based bots
 * expect (they send no scope).
 */
function resourceServerInfo(ctx: KoaContextWithOIDC, resource: string, client: OidcClient, deps: ProviderDeps) {
  if (resource.replace(/\/$/, '') !== deps.fhirAudience) {
    throw new errors.InvalidTarget(`The only resource on this hub is ${deps.fhirAudience}`);
  }
  const allowed = splitScope(String(client.metadata().fhir_scope ?? ''));
  const isClientCredentials = ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials';
  const contexts: ScopeContext[] = isClientCredentials ? ['system'] : ['patient', 'user'];
  const grant = ctx.oidc.entities?.Grant;
  let requested = [...splitScope(ctx.oidc.params?.scope), ...splitScope(grant?.getResourceScope(deps.fhirAudience))];
  if (isClientCredentials && !requested.some((w) => !isOidcScope(w))) {
    requested = allowed;
    ctx.oidc.params.scope = allowed.join(' ');
  }
  const granted = grantableResourceScopes(requested, allowed, contexts);
  if (isClientCredentials && granted.length === 0) {
    throw new errors.InvalidScope('none of the requested scopes is allowed for this client', ctx.oidc.params?.scope);
  }
  return {
    scope: granted.join(' '),
    audience: deps.fhirAudience,
    accessTokenFormat: 'jwt',
    accessTokenTTL: isClientCredentials ? deps.options.clientAccessTokenTtl : deps.options.userAccessTokenTtl,
    jwt: { sign: { alg: 'RS256' } },
  };
}

/** A public client may introspect only its own tokens; confidential ones (resource servers) any. */
async function introspectionAllowed(ctx: KoaContextWithOIDC, client: OidcClient, token: { clientId?: string }): Promise<boolean> {
  return !(client.clientAuthMethod === 'none' && token.clientId !== ctx.oidc.client.clientId);
}

/** Only the client a token was issued to may revoke it (RFC 7009). */
async function revocationAllowed(_ctx: KoaContextWithOIDC, client: OidcClient, token: { clientId?: string }): Promise<boolean> {
  if (token.clientId === client.clientId) return true;
  if (client.clientAuthMethod === 'none') return false;
  throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
}
