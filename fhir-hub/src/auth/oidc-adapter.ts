/**
 * oidc-provider's persistence on PostgreSQL: one table (auth_oidc_model) keyed by (model, id) with the
 * payload as JSON and its expiry, plus the lookup columns the adapter contract needs (grant id,
 * session uid, user code). Expired rows are invisible at once and deleted by the periodic sweep.
 * The Client model reads the clients the CLI manages (auth_client) and refuses writes: there is no
 * dynamic registration. Revoking or destroying a grant also puts it on the revocation list, since its
 * JWT access tokens are not stored and can only be refused by their login_id.
 */
import type { Queryable, Sql } from '../db/connect.ts';
import { findClient, type ClientRecord } from './client-store.ts';
import { isOidcScope, splitScope } from './smart-scopes.ts';

type Payload = Record<string, unknown>;

export type GrantRevoked = (grantId: string) => Promise<void>;

export class PostgresModelAdapter {
  private readonly model: string;
  private readonly sql: Sql;
  private readonly onGrantRevoked: GrantRevoked;

  constructor(model: string, sql: Sql, onGrantRevoked: GrantRevoked) {
    this.model = model;
    this.sql = sql;
    this.onGrantRevoked = onGrantRevoked;
  }

  async upsert(id: string, payload: Payload, expiresIn: number | undefined): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
    await this.sql`
      INSERT INTO auth_oidc_model (model, id, payload, grant_id, uid, user_code, expires_at)
      VALUES (${this.model}, ${id}, ${this.sql.json(payload as never)}, ${str(payload.grantId)}, ${str(payload.uid)},
        ${str(payload.userCode)}, ${expiresAt})
      ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
        uid = EXCLUDED.uid, user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`;
  }

  async find(id: string): Promise<Payload | undefined> {
    return this.first(this.sql`
      SELECT payload FROM auth_oidc_model WHERE model = ${this.model} AND id = ${id} AND ${notExpired(this.sql)}`);
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    return this.first(this.sql`
      SELECT payload FROM auth_oidc_model WHERE model = ${this.model} AND uid = ${uid} AND ${notExpired(this.sql)}`);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    return this.first(this.sql`
      SELECT payload FROM auth_oidc_model WHERE model = ${this.model} AND user_code = ${userCode} AND ${notExpired(this.sql)}`);
  }

  /** Marks a one-time artefact (authorization code) used; oidc-provider refuses a second use. */
  async consume(id: string): Promise<void> {
    await this.sql`
      UPDATE auth_oidc_model SET payload = payload || jsonb_build_object('consumed', floor(extract(epoch FROM now()))::bigint)
      WHERE model = ${this.model} AND id = ${id}`;
  }

  async destroy(id: string): Promise<void> {
    await this.sql`DELETE FROM auth_oidc_model WHERE model = ${this.model} AND id = ${id}`;
    if (this.model === 'Grant') await this.onGrantRevoked(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.sql`DELETE FROM auth_oidc_model WHERE model = ${this.model} AND grant_id = ${grantId}`;
    await this.onGrantRevoked(grantId);
  }

  private async first(query: Promise<{ payload: Payload }[]>): Promise<Payload | undefined> {
    const rows = await query;
    return rows[0]?.payload;
  }
}

/** Clients come from auth_client; a disabled client does not exist for oidc-provider. */
export class ClientAdapter {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async find(id: string): Promise<Payload | undefined> {
    if (typeof id !== 'string' || id.length > 200) return undefined;
    const record = await findClient(this.sql, id);
    return record && !record.disabledAt ? toProviderMetadata(record) : undefined;
  }

  async upsert(): Promise<void> {
    throw new Error('Clients are managed with `simpul client ...`, not through oidc-provider');
  }

  async destroy(): Promise<void> {
    throw new Error('Clients are managed with `simpul client ...`, not through oidc-provider');
  }
}

/**
 * A client as oidc-provider metadata. `client_secret` carries the scrypt hash: the provider's secret
 * comparison is replaced (see authorization-server.ts), and HMAC-based methods that would need the
 * secret in clear are disabled. SMART scopes go in `fhir_scope`: oidc-provider only allows its
 * registered (static) scopes in `scope`.
 */
export function toProviderMetadata(record: ClientRecord): Payload {
  const words = splitScope(record.scope);
  const staticScopes = words.filter(isOidcScope);
  const isApp = record.grantTypes.includes('authorization_code');
  return {
    client_id: record.clientId,
    client_name: record.name,
    token_endpoint_auth_method: record.authMethod,
    ...(record.secretHash ? { client_secret: record.secretHash } : undefined),
    grant_types: record.grantTypes,
    response_types: isApp ? ['code'] : [],
    redirect_uris: record.redirectUris,
    ...(isApp ? { scope: staticScopes.join(' ') || 'openid' } : undefined),
    fhir_scope: words.filter((w) => !isOidcScope(w)).join(' '),
    ...(record.jwks ? { jwks: record.jwks } : undefined),
    ...(record.jwksUri ? { jwks_uri: record.jwksUri } : undefined),
  };
}

/** Deletes expired oidc-provider rows. */
export async function purgeExpiredModels(db: Queryable): Promise<number> {
  const result = await db`DELETE FROM auth_oidc_model WHERE expires_at < now()`;
  return result.count;
}

function notExpired(sql: Sql) {
  return sql`(expires_at IS NULL OR expires_at > now())`;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
