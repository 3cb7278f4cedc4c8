/**
 * OAuth clients (table auth_client), managed by `simpul client ...` and read by oidc-provider through
 * the adapter. Two shapes:
 *  - a service (no redirect URI): client_credentials with a secret, or with private_key_jwt and a
 *    registered JWKS / JWKS URL (SMART Backend Services); its SMART scopes are `system/` ones;
 *  - an app used by a person (redirect URIs): authorization code + PKCE, refresh tokens; public (no
 *    secret) or confidential; its SMART scopes are `patient/` and `user/` ones.
 * Secrets are generated here, returned once, and stored as scrypt hashes.
 */
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import type { Queryable } from '../db/connect.ts';
import { loadFhirDefinitions } from '../definitions/load-definitions.ts';
import { AuthInputError } from './auth-errors.ts';
import { recordRevocation } from './revocations.ts';
import { generateSecret, hashSecret } from './secret-hash.ts';
import { ADMIN_SCOPE, isOidcScope, parseSmartScope, splitScope } from './smart-scopes.ts';

export type ClientAuthMethod = 'client_secret_basic' | 'private_key_jwt' | 'none';

export interface ClientRecord {
  clientId: string;
  name: string;
  authMethod: ClientAuthMethod;
  grantTypes: string[];
  redirectUris: string[];
  scope: string;
  jwks?: { keys: JWK[] };
  jwksUri?: string;
  isAdmin: boolean;
  createdAt: Date;
  disabledAt?: Date;
  /** Present only inside the store and the adapter; never shown. */
  secretHash?: string;
}

export interface NewClient {
  name: string;
  /** Space-separated: SMART scopes, OIDC scopes for apps (openid fhirUser offline_access launch/patient), `admin`. */
  scope: string;
  redirectUris?: string[];
  /** An app without a secret (browser or native app); needs redirect URIs, always uses PKCE. */
  public?: boolean;
  jwks?: { keys: JWK[] };
  jwksUri?: string;
  /** Chosen id (config-provided admin client); generated from the name otherwise. */
  clientId?: string;
  /** Chosen secret (config-provided admin client); generated otherwise. */
  secret?: string;
}

export interface CreatedClient {
  client: ClientRecord;
  /** The secret in clear: shown once, never stored. */
  secret?: string;
}

interface ClientRow {
  client_id: string;
  name: string;
  auth_method: ClientAuthMethod;
  secret_hash: string | null;
  grant_types: string[];
  redirect_uris: string[];
  scope: string;
  jwks: { keys: JWK[] } | null;
  jwks_uri: string | null;
  is_admin: boolean;
  created_at: Date;
  disabled_at: Date | null;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{3,100}$/;

export async function createClient(db: Queryable, input: NewClient): Promise<CreatedClient> {
  loadFhirDefinitions();
  const name = input.name?.trim();
  if (!name || name.length > 200) throw new AuthInputError('A client needs a name of 1 to 200 characters');
  const redirectUris = input.redirectUris ?? [];
  const isApp = redirectUris.length > 0;
  redirectUris.forEach(assertRedirectUri);
  const scope = validateScope(splitScope(input.scope), isApp);
  if (input.public && !isApp) throw new AuthInputError('A public client must be an app with at least one redirect URI');
  if (input.jwks && input.jwksUri) throw new AuthInputError('Give either a JWKS or a JWKS URL, not both');
  if (input.jwks) assertPublicJwks(input.jwks);
  if (input.jwksUri) assertKeyUrl(input.jwksUri);
  const usesKeys = !!(input.jwks || input.jwksUri);
  if (input.public && usesKeys) throw new AuthInputError('A public client has no keys; drop --public or the JWKS');
  const authMethod: ClientAuthMethod = input.public ? 'none' : usesKeys ? 'private_key_jwt' : 'client_secret_basic';
  const secret = authMethod === 'client_secret_basic' ? (input.secret ?? generateSecret()) : undefined;
  const clientId = input.clientId ?? `${slug(name)}-${randomBytes(4).toString('hex')}`;
  if (!CLIENT_ID.test(clientId)) throw new AuthInputError('A client id is 3 to 100 of A-Z a-z 0-9 . _ -');
  const grantTypes = isApp ? ['authorization_code', 'refresh_token'] : ['client_credentials'];
  const rows = await db<ClientRow[]>`
    INSERT INTO auth_client (client_id, name, auth_method, secret_hash, grant_types, redirect_uris, scope, jwks, jwks_uri, is_admin)
    VALUES (${clientId}, ${name}, ${authMethod}, ${secret ? await hashSecret(secret) : null}, ${grantTypes}, ${redirectUris},
      ${scope.join(' ')}, ${input.jwks ? db.json(input.jwks as never) : null}, ${input.jwksUri ?? null}, ${scope.includes(ADMIN_SCOPE)})
    ON CONFLICT (client_id) DO NOTHING
    RETURNING *`;
  if (rows.length === 0) throw new AuthInputError(`A client with id "${clientId}" already exists`);
  return { client: toRecord(rows[0]), secret };
}

export async function findClient(db: Queryable, clientId: string): Promise<ClientRecord | undefined> {
  const rows = await db<ClientRow[]>`SELECT * FROM auth_client WHERE client_id = ${clientId}`;
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function listClients(db: Queryable): Promise<ClientRecord[]> {
  const rows = await db<ClientRow[]>`SELECT * FROM auth_client ORDER BY created_at, client_id`;
  return rows.map((r) => {
    const { secretHash: _hidden, ...record } = toRecord(r);
    return record;
  });
}

/**
 * Disables a client: it can get no new token, and tokens it already holds are refused from now on
 * (a revocation kept as long as an access token can live).
 */
export async function disableClient(db: Queryable, clientId: string, tokenLifetimeSeconds: number): Promise<ClientRecord | undefined> {
  const rows = await db<ClientRow[]>`
    UPDATE auth_client SET disabled_at = COALESCE(disabled_at, now()) WHERE client_id = ${clientId} RETURNING *`;
  if (rows.length === 0) return undefined;
  await recordRevocation(db, 'client', clientId, new Date(Date.now() + tokenLifetimeSeconds * 1000));
  return toRecord(rows[0]);
}

/** Sets a new secret hash (the configured admin secret changed). */
export async function setClientSecret(db: Queryable, clientId: string, secret: string): Promise<void> {
  await db`UPDATE auth_client SET secret_hash = ${await hashSecret(secret)} WHERE client_id = ${clientId}`;
}

function validateScope(words: string[], isApp: boolean): string[] {
  if (words.length === 0) throw new AuthInputError('A client needs at least one scope (e.g. --scope "system/*.rs")');
  for (const word of words) {
    if (word === ADMIN_SCOPE) {
      if (isApp) throw new AuthInputError(`"${ADMIN_SCOPE}" is for services (client credentials), not apps`);
      continue;
    }
    if (isOidcScope(word)) {
      if (!isApp) throw new AuthInputError(`"${word}" is for apps used by a person; a service has no user to sign in`);
      continue;
    }
    const smart = parseSmartScope(word);
    if (!smart) {
      throw new AuthInputError(
        `"${word}" is not a scope the hub knows: use SMART scopes (patient/Observation.rs, user/*.read, system/*.cruds, ` +
          `granular patient/Observation.rs?category=<system>|<code>), ${ADMIN_SCOPE}, or for apps openid fhirUser offline_access launch/patient`,
      );
    }
    if (isApp && smart.context === 'system') throw new AuthInputError(`"${word}": apps get patient/ and user/ scopes; system/ is for services`);
    if (!isApp && smart.context !== 'system') throw new AuthInputError(`"${word}": services get system/ scopes; patient/ and user/ need a signed-in person`);
  }
  return words;
}

function assertRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AuthInputError(`Redirect URI "${uri}" is not an absolute URL`);
  }
  if (url.hash) throw new AuthInputError(`Redirect URI "${uri}" must not have a fragment`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname)) && !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) {
    throw new AuthInputError(`Redirect URI "${uri}" must be https (http only on localhost, or a private-use scheme such as com.example.app:)`);
  }
}

function assertKeyUrl(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AuthInputError(`JWKS URL "${uri}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new AuthInputError(`JWKS URL "${uri}" must be https (http only on localhost)`);
  }
}

function assertPublicJwks(jwks: { keys: JWK[] }): void {
  if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new AuthInputError('A JWKS needs a non-empty "keys" array');
  for (const key of jwks.keys) {
    if (typeof key !== 'object' || !key || typeof key.kty !== 'string') throw new AuthInputError('Every JWKS key needs a "kty"');
    if ('d' in key || key.kty === 'oct') throw new AuthInputError('Register public keys only: a JWKS key has private or symmetric material');
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'client';
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    authMethod: row.auth_method,
    grantTypes: row.grant_types,
    redirectUris: row.redirect_uris,
    scope: row.scope,
    ...(row.jwks ? { jwks: row.jwks } : undefined),
    ...(row.jwks_uri ? { jwksUri: row.jwks_uri } : undefined),
    isAdmin: row.is_admin,
    createdAt: row.created_at,
    ...(row.disabled_at ? { disabledAt: row.disabled_at } : undefined),
    ...(row.secret_hash ? { secretHash: row.secret_hash } : undefined),
  };
}
