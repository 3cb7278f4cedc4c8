/**
 * What the resource server must refuse although a JWT access token verifies: a revoked token (its
 * jti), a revoked grant (login_id, e.g. after its refresh token was revoked or the user signed out),
 * a disabled client or user (tokens issued up to the moment of disabling).
 * Checking costs no database round trip: the list is held in memory and each replica polls the table
 * every `refreshMs` for rows revoked since its watermark (minus a minute, so a row whose transaction
 * committed late is not missed; re-reading a row is harmless). A revocation made by this process
 * counts at once, one made by another replica within `refreshMs`. Entries expire when no token they
 * cover can still be valid.
 */
import type { Logger } from 'pino';
import type { Queryable, Sql } from '../db/connect.ts';

export type RevocationKind = 'jti' | 'grant' | 'client' | 'user';

export interface TokenIdentity {
  jti: string;
  loginId?: string;
  clientId: string;
  /** `sub` of a user token. */
  userId?: string;
  /** `iat`, in seconds. */
  issuedAt: number;
}

interface Entry {
  revokedAt: number;
  expiresAt: number;
}

/** Rows are re-read this far behind the newest one seen. */
const OVERLAP_MS = 60_000;

interface Row {
  kind: RevocationKind;
  value: string;
  revoked_at: Date;
  expires_at: Date;
}

export class RevocationList {
  private readonly sql: Sql;
  private readonly logger: Logger;
  private readonly refreshMs: number;
  private readonly entries = new Map<string, Entry>();
  private watermark = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(sql: Sql, logger: Logger, refreshMs: number) {
    this.sql = sql;
    this.logger = logger;
    this.refreshMs = refreshMs;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refreshing ??= this.refresh()
        .catch((err: unknown) => this.logger.error({ err }, 'revocation list refresh failed; revocations by other replicas are not seen yet'))
        .finally(() => {
          this.refreshing = undefined;
        });
    }, this.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }

  /** Records a revocation durably, and for this process at once. */
  async revoke(kind: RevocationKind, value: string, expiresAt: Date, db: Queryable = this.sql): Promise<void> {
    await recordRevocation(db, kind, value, expiresAt);
    const key = `${kind}:${value}`;
    if (!this.entries.has(key)) this.entries.set(key, { revokedAt: Date.now(), expiresAt: expiresAt.getTime() });
  }

  isRevoked(token: TokenIdentity): boolean {
    if (this.entries.has(`jti:${token.jti}`)) return true;
    if (token.loginId && this.entries.has(`grant:${token.loginId}`)) return true;
    const issuedAtMs = token.issuedAt * 1000;
    const client = this.entries.get(`client:${token.clientId}`);
    if (client && issuedAtMs <= client.revokedAt) return true;
    const user = token.userId ? this.entries.get(`user:${token.userId}`) : undefined;
    return !!user && issuedAtMs <= user.revokedAt;
  }

  /** Pulls rows revoked since the watermark and forgets expired ones. */
  async refresh(): Promise<void> {
    const since = new Date(Math.max(0, this.watermark - OVERLAP_MS));
    const rows = await this.sql<Row[]>`
      SELECT kind, value, revoked_at, expires_at FROM auth_revocation
      WHERE revoked_at > ${since} AND expires_at > now()`;
    for (const row of rows) {
      this.entries.set(`${row.kind}:${row.value}`, { revokedAt: row.revoked_at.getTime(), expiresAt: row.expires_at.getTime() });
      this.watermark = Math.max(this.watermark, row.revoked_at.getTime());
    }
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt < now) this.entries.delete(key);
    }
  }
}

/** Stores a revocation (for processes without a RevocationList, such as the CLI). */
export async function recordRevocation(db: Queryable, kind: RevocationKind, value: string, expiresAt: Date): Promise<void> {
  await db`
    INSERT INTO auth_revocation (kind, value, expires_at) VALUES (${kind}, ${value}, ${expiresAt})
    ON CONFLICT (kind, value) DO UPDATE SET expires_at = GREATEST(auth_revocation.expires_at, EXCLUDED.expires_at)`;
}

/** Deletes revocations no token can need any more. */
export async function purgeExpiredRevocations(db: Queryable): Promise<number> {
  const result = await db`DELETE FROM auth_revocation WHERE expires_at < now() - interval '1 hour'`;
  return result.count;
}
