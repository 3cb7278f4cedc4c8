/**
 * Helpers for the auth tests: a hub listening on a real loopback port (its baseUrl is that address,
 * so issuer and endpoints are what clients see), openid-client configurations for it, and the
 * authorization code flow driven through the hub's real sign-in page over HTTP, with a cookie jar.
 */
import { createServer } from 'node:net';
import * as oidc from 'openid-client';
import { createClient } from '../src/auth/index.ts';
import type { HubOptions } from '../src/http/build-hub.ts';
import { createTestHub, type TestHub } from './support/test-hub.ts';

export interface ListeningHub extends TestHub {
  url: string;
  fhirBase: string;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function createListeningHub(overrides: Partial<HubOptions> = {}): Promise<ListeningHub> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const hub = await createTestHub({ ...overrides, baseUrl: url });
  await hub.app.listen({ port, host: '127.0.0.1' });
  return { ...hub, url, fhirBase: `${url}fhir/R4` };
}

/** openid-client configuration for the hub (plain http on loopback is allowed explicitly). */
export function discover(hub: ListeningHub, clientId: string, auth: oidc.ClientAuth, metadata?: Partial<oidc.ClientMetadata>): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(hub.url), clientId, metadata, auth, { execute: [oidc.allowInsecureRequests] });
}

export const APP_REDIRECT = 'https://app.example/callback';

/** A public SMART app registered for these scopes. */
export async function registerApp(hub: TestHub, scope: string, name = 'Test app'): Promise<string> {
  const { client } = await createClient(hub.db.sql, { name, scope, redirectUris: [APP_REDIRECT], public: true });
  return client.clientId;
}

export interface SignIn {
  username: string;
  password: string;
  scope: string;
  patient?: string;
  /** Extra authorization request parameters (e.g. aud). */
  params?: Record<string, string>;
}

/** What the browser saw, for tests about the page itself. */
export interface SignInPages {
  loginPage: string;
  loginStatus: number;
  /** The page shown after posting the form, when it did not redirect. */
  afterPost?: string;
  afterPostStatus?: number;
}

/**
 * Runs the authorization code flow with PKCE S256 through the hub's sign-in page over HTTP and
 * exchanges the code with openid-client. Throws when the flow does not reach the redirect URI.
 */
export async function signIn(hub: ListeningHub, clientId: string, input: SignIn): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const config = await discover(hub, clientId, oidc.None());
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authorizeUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: APP_REDIRECT,
    scope: input.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...input.params,
  });
  const { callback, pages } = await browse(authorizeUrl, input);
  if (!callback) throw new Error(`sign-in did not complete: ${pages.afterPostStatus} ${pages.afterPost?.slice(0, 400)}`);
  return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
}

/**
 * Plays the browser: follows redirects inside the hub with a cookie jar, posts the sign-in form, and
 * stops at the app's redirect URI (returned as `callback`) or at a page that does not redirect.
 */
export async function browse(
  start: URL,
  input: Pick<SignIn, 'username' | 'password' | 'patient'>,
  button: 'sign-in' | 'cancel' = 'sign-in',
): Promise<{ callback?: URL; pages: SignInPages }> {
  const jar = new Map<string, string>();
  let response = await visit(start, jar);
  let location = response.headers.get('location');
  while (location && !location.startsWith(APP_REDIRECT)) {
    response = await visit(new URL(location, start), jar);
    location = response.headers.get('location');
  }
  if (location) return { callback: new URL(location), pages: { loginPage: '', loginStatus: response.status } };
  const loginPage = await response.text();
  const pages: SignInPages = { loginPage, loginStatus: response.status };
  const actions = [...loginPage.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]);
  const action = button === 'cancel' ? actions.find((a) => a.endsWith('/abort')) : actions[0];
  if (!action) return { pages };
  const form = new URLSearchParams({ username: input.username, password: input.password, ...(input.patient ? { patient: input.patient } : undefined) });
  response = await visit(new URL(decodeEntities(action)), jar, form);
  location = response.headers.get('location');
  while (location && !location.startsWith(APP_REDIRECT)) {
    response = await visit(new URL(location, start), jar);
    location = response.headers.get('location');
  }
  if (location) return { callback: new URL(location), pages };
  return { pages: { ...pages, afterPost: await response.text(), afterPostStatus: response.status } };
}

async function visit(url: URL, jar: Map<string, string>, form?: URLSearchParams): Promise<Response> {
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(url, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: { ...(cookie ? { cookie } : undefined), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : undefined) },
    body: form?.toString(),
  });
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name);
    else jar.set(name, value);
  }
  return response;
}

function decodeEntities(value: string): string {
  return value.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

/** The payload of a JWT, unverified (tests read claims; the hub verifies). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A FHIR request over HTTP with a bearer token (or none). */
export async function fhir(hub: ListeningHub, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${hub.fhirBase}/${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : undefined),
      ...(body ? { 'content-type': 'application/fhir+json' } : undefined),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** The OAuth error code of a failed openid-client call (from the body or the WWW-Authenticate challenge). */
export async function oauthErrorOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    const e = err as { error?: string; cause?: { parameters?: { error?: string } }[] | { error?: string } };
    if (e.error) return e.error;
    if (Array.isArray(e.cause)) return e.cause[0]?.parameters?.error;
    return e.cause?.error ?? `no OAuth error: ${(err as Error).message}`;
  }
  return undefined;
}

/** GET a JSON document over HTTP (discovery, JWKS). */
export async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  return response.json();
}
