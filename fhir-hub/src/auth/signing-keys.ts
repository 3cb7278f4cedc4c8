/**
 * The authorization server's JWS signing keys, kept in PostgreSQL so every replica signs and verifies
 * with the same set. One RS256 and one ES256 key are generated at first start (under an advisory lock,
 * so replicas starting together create one set). Rotation (`simpul keys rotate`) adds a new pair and
 * retires the old one: retired keys no longer sign but stay in the JWKS until they expire, so tokens
 * they signed keep verifying. Replicas re-read the table periodically and whenever a token names a
 * key id they do not know.
 */
import { generateKeyPair as generateNodeKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Sql } from '../db/connect.ts';
import { seal, unseal } from './key-sealing.ts';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
/** How long a retired key stays published: longer than any token it signed lives. */
export const DEFAULT_KEY_RETENTION_SECONDS = 24 * 60 * 60;
const KEY_LOCK = 7_140_202_612;
/** An unknown kid triggers at most one reload per this interval (a forged kid must not hammer the DB). */
const UNKNOWN_KID_RELOAD_MS = 5_000;

const generateKeyPair = promisify(generateNodeKeyPair);

interface KeyRow {
  kid: string;
  alg: string;
  private_jwk: string;
  retired_at: Date | null;
}

interface LoadedKey {
  kid: string;
  alg: string;
  privateJwk: JWK;
  publicJwk: JWK;
  active: boolean;
}

export class KeyRing {
  private readonly sql: Sql;
  private readonly sealingSecret: string | undefined;
  private keys: LoadedKey[] = [];
  private readonly verifiers = new Map<string, Promise<CryptoKey | Uint8Array>>();
  private lastUnknownKidReload = 0;

  constructor(sql: Sql, sealingSecret?: string) {
    this.sql = sql;
    this.sealingSecret = sealingSecret;
  }

  /** Loads the keys, generating the first set when there is none. */
  async start(): Promise<void> {
    await ensureSigningKeys(this.sql, this.sealingSecret);
    await this.refresh();
  }

  /** Re-reads the table; true when the set of signing (active) keys changed. */
  async refresh(): Promise<boolean> {
    const before = this.signingVersion();
    const rows = await this.sql<KeyRow[]>`
      SELECT kid, alg, private_jwk, retired_at FROM auth_signing_key
      WHERE expires_at IS NULL OR expires_at > now()
      ORDER BY (retired_at IS NULL) DESC, created_at DESC, kid`;
    this.keys = rows.map((row) => {
      const privateJwk = JSON.parse(unseal(row.private_jwk, this.sealingSecret)) as JWK;
      return { kid: row.kid, alg: row.alg, privateJwk, publicJwk: publicPart(privateJwk), active: row.retired_at === null };
    });
    for (const kid of this.verifiers.keys()) {
      if (!this.keys.some((k) => k.kid === kid)) this.verifiers.delete(kid);
    }
    return before !== this.signingVersion();
  }

  /** Private JWKs for oidc-provider: the newest active key of each algorithm first, so it signs. */
  providerJwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.privateJwk) };
  }

  /** The public JWKS served at /oauth2/jwks: every key that has not expired. */
  publicJwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /** Identifies the signing keys, to notice a rotation done by another process. */
  signingVersion(): string {
    return this.keys.filter((k) => k.active).map((k) => k.kid).join(',');
  }

  /** The verification key for a token header, reloading once from the database for an unknown kid. */
  async verificationKey(kid: string | undefined, alg: string | undefined): Promise<CryptoKey | Uint8Array | undefined> {
    if (!kid || !alg) return undefined;
    let key = this.keys.find((k) => k.kid === kid);
    if (!key && Date.now() - this.lastUnknownKidReload > UNKNOWN_KID_RELOAD_MS) {
      this.lastUnknownKidReload = Date.now();
      await this.refresh();
      key = this.keys.find((k) => k.kid === kid);
    }
    if (!key || key.alg !== alg) return undefined;
    let imported = this.verifiers.get(kid);
    if (!imported) {
      imported = importJWK(key.publicJwk, key.alg);
      this.verifiers.set(kid, imported);
    }
    return imported;
  }
}

/** Creates the first RS256 + ES256 pair unless active keys exist; safe to call from every replica. */
export async function ensureSigningKeys(sql: Sql, sealingSecret?: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${KEY_LOCK})`;
    const [{ n }] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM auth_signing_key WHERE retired_at IS NULL`;
    if (n > 0) return;
    for (const alg of SIGNING_ALGORITHMS) {
      const jwk = await generateSigningJwk(alg);
      await tx`INSERT INTO auth_signing_key (kid, alg, private_jwk) VALUES (${jwk.kid as string}, ${alg}, ${seal(JSON.stringify(jwk), sealingSecret)})`;
    }
  });
}

/**
 * Adds a new signing key per algorithm and retires the current ones; retired keys stay published for
 * `retainSeconds`. Running hubs start signing with the new keys at their next key refresh.
 */
export async function rotateSigningKeys(
  sql: Sql,
  options: { sealingSecret?: string; retainSeconds?: number } = {},
): Promise<{ created: string[]; retired: string[] }> {
  const retain = options.retainSeconds ?? DEFAULT_KEY_RETENTION_SECONDS;
  const fresh = await Promise.all(SIGNING_ALGORITHMS.map((alg) => generateSigningJwk(alg)));
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${KEY_LOCK})`;
    const retired = await tx<{ kid: string }[]>`
      UPDATE auth_signing_key SET retired_at = now(), expires_at = now() + make_interval(secs => ${retain})
      WHERE retired_at IS NULL RETURNING kid`;
    for (const jwk of fresh) {
      await tx`INSERT INTO auth_signing_key (kid, alg, private_jwk) VALUES (${jwk.kid as string}, ${jwk.alg as string}, ${seal(JSON.stringify(jwk), options.sealingSecret)})`;
    }
    return { created: fresh.map((k) => k.kid as string), retired: retired.map((r) => r.kid) };
  });
}

async function generateSigningJwk(alg: (typeof SIGNING_ALGORITHMS)[number]): Promise<JWK> {
  const { privateKey } =
    alg === 'RS256' ? await generateKeyPair('rsa', { modulusLength: 2048 }) : await generateKeyPair('ec', { namedCurve: 'P-256' });
  const jwk = (privateKey as KeyObject).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicPart(jwk));
  return { ...jwk, kid, alg, use: 'sig' };
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...pub } = jwk as JWK & { oth?: unknown };
  return pub;
}
