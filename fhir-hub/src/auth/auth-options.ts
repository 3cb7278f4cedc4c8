/** Tunables of the authorization server and resource server, with the defaults the hub runs with. */
export interface AuthOptions {
  /** Store AuditEvents for writes and denials (on in production; test hubs may turn it off). */
  audit: boolean;
  /** Lifetime of access tokens issued to people (seconds). */
  userAccessTokenTtl: number;
  /** Lifetime of client-credentials access tokens; SMART Backend Services recommends five minutes. */
  clientAccessTokenTtl: number;
  refreshTokenTtl: number;
  /** How long a sign-in page may be left open. */
  interactionTtl: number;
  sessionTtl: number;
  /** How often each replica polls for revocations made elsewhere (ms). */
  revocationRefreshMs: number;
  /** How often each replica re-reads the signing keys, to follow a rotation (ms). */
  keyRefreshMs: number;
  /** Encrypts private signing keys at rest when set. */
  keyEncryptionSecret?: string;
  /** Failed sign-in / client-authentication attempts allowed in a burst, per IP, client and username. */
  bruteForceBurst: number;
  /** One more attempt is allowed every this many seconds once the burst is spent. */
  bruteForceRefillSeconds: number;
  /**
   * Let clients' JWKS URLs point at loopback or private addresses. Off by default: oidc-provider
   * refuses such fetches (SSRF protection); turn it on only when backend services publish their keys
   * inside the hospital network.
   */
  allowPrivateJwksUrls: boolean;
}

export const DEFAULT_AUTH_OPTIONS: AuthOptions = {
  audit: true,
  userAccessTokenTtl: 60 * 60,
  clientAccessTokenTtl: 5 * 60,
  refreshTokenTtl: 14 * 24 * 60 * 60,
  interactionTtl: 10 * 60,
  sessionTtl: 24 * 60 * 60,
  revocationRefreshMs: 2_000,
  keyRefreshMs: 60_000,
  bruteForceBurst: 10,
  bruteForceRefillSeconds: 30,
  allowPrivateJwksUrls: false,
};

/** The longest an access token lives: how long a client or user revocation must be remembered. */
export function maxAccessTokenTtl(options: Pick<AuthOptions, 'userAccessTokenTtl' | 'clientAccessTokenTtl'>): number {
  return Math.max(options.userAccessTokenTtl, options.clientAccessTokenTtl);
}
