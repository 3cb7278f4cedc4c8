/**
 * The hub's authorization server and resource-server state, one per process: oidc-provider configured
 * for SMART (provider-config.ts), the signing keys, the revocation list, the token verifier, the
 * brute-force limiter and the audit writer. Owns its timers (key refresh, revocation polling, expired
 * row sweep) and stops them in stop(). When another process rotates the signing keys, the provider is
 * rebuilt with the new set at the next key refresh; its state lives in PostgreSQL, so nothing is lost.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import { AccessPolicy } from './access-policy.ts';
import { AccessTokenVerifier } from './access-token.ts';
import type { AuthContext, RequestOrigin } from './auth-context.ts';
import { DEFAULT_AUTH_OPTIONS, type AuthOptions } from './auth-options.ts';
import { AuditWriter, createAuthCounters, type AuthCounters } from './audit-writer.ts';
import { FailureLimiter } from './failure-limiter.ts';
import { purgeOrphanLaunchContexts } from './launch-context.ts';
import { purgeExpiredModels } from './oidc-adapter.ts';
import { providerConfiguration } from './provider-config.ts';
import { offlineAccessConsent, smartTokenResponse, structuredTokenEndpoints, tokenFailures } from './provider-middleware.ts';
import { purgeExpiredRevocations, RevocationList } from './revocations.ts';
import type { HubRepository } from './scoped-repository.ts';
import { verifySecret } from './secret-hash.ts';
import { sharedSecret } from './shared-secret.ts';
import { KeyRing } from './signing-keys.ts';

export interface AuthServerConfig {
  sql: Sql;
  /** Public base URL ending in `/`: the issuer; the FHIR base `<baseUrl>fhir/R4` is the audience. */
  baseUrl: string;
  logger: Logger;
  /** The hub's own repository: AuditEvents are written through it, profiles read from it. */
  repo: HubRepository;
  options?: Partial<AuthOptions>;
}

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

type RawHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export class AuthServer {
  readonly options: AuthOptions;
  readonly baseUrl: string;
  readonly fhirAudience: string;
  readonly sql: Sql;
  readonly logger: Logger;
  readonly repo: HubRepository;
  readonly keyRing: KeyRing;
  readonly revocations: RevocationList;
  readonly verifier: AccessTokenVerifier;
  readonly limiter: FailureLimiter;
  readonly counters: AuthCounters;
  readonly audit: AuditWriter;
  private cookieKey = '';
  private current: { provider: Provider; handler: RawHandler; keyVersion: string } | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(config: AuthServerConfig) {
    this.options = { ...DEFAULT_AUTH_OPTIONS, ...config.options };
    this.baseUrl = config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`;
    this.fhirAudience = `${this.baseUrl}fhir/R4`;
    this.sql = config.sql;
    this.logger = config.logger;
    this.repo = config.repo;
    this.keyRing = new KeyRing(config.sql, this.options.keyEncryptionSecret);
    this.revocations = new RevocationList(config.sql, config.logger, this.options.revocationRefreshMs);
    this.verifier = new AccessTokenVerifier(this.keyRing, this.revocations, this.baseUrl, this.fhirAudience);
    this.limiter = new FailureLimiter({ burst: this.options.bruteForceBurst, refillSeconds: this.options.bruteForceRefillSeconds });
    this.counters = createAuthCounters();
    this.audit = new AuditWriter(config.repo, config.logger, this.counters, this.options.audit);
  }

  /** Loads (or creates) keys and secrets, builds the provider and starts the timers. */
  static async start(config: AuthServerConfig): Promise<AuthServer> {
    const server = new AuthServer(config);
    await server.keyRing.start();
    server.cookieKey = await sharedSecret(config.sql, 'oidc-cookie-key');
    await server.revocations.start();
    server.current = server.build();
    if (!server.options.keyEncryptionSecret) {
      server.logger.warn('signing keys are stored unencrypted in the database: configure a key encryption secret to seal them');
    }
    server.every(server.options.keyRefreshMs, () => server.followKeyRotation());
    server.every(SWEEP_INTERVAL_MS, () => server.sweep());
    return server;
  }

  get provider(): Provider {
    return this.state().provider;
  }

  /** oidc-provider's Node handler (for /oauth2/* and OpenID discovery). */
  get handler(): RawHandler {
    return this.state().handler;
  }

  policyFor(auth: AuthContext): AccessPolicy {
    return new AccessPolicy(auth, this.fhirAudience);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.revocations.stop();
  }

  /** Deletes expired oidc-provider rows, old revocations and orphaned launch contexts. */
  async sweep(): Promise<void> {
    const models = await purgeExpiredModels(this.sql);
    const revocations = await purgeExpiredRevocations(this.sql);
    const contexts = await purgeOrphanLaunchContexts(this.sql);
    if (models + revocations + contexts > 0) this.logger.debug({ models, revocations, contexts }, 'auth sweep');
  }

  private state(): { provider: Provider; handler: RawHandler; keyVersion: string } {
    if (!this.current) throw new Error('AuthServer.start() has not completed');
    return this.current;
  }

  private build(): { provider: Provider; handler: RawHandler; keyVersion: string } {
    const provider = new Provider(
      this.baseUrl,
      providerConfiguration({
        sql: this.sql,
        baseUrl: this.baseUrl,
        fhirAudience: this.fhirAudience,
        keyRing: this.keyRing,
        cookieKey: this.cookieKey,
        options: this.options,
        onGrantRevoked: (grantId) =>
          this.revocations.revoke('grant', grantId, new Date(Date.now() + (this.options.userAccessTokenTtl + 60) * 1000)),
      }),
    );
    // The HTTP layer overwrites X-Forwarded-* with hub.baseUrl's origin and Fastify's client IP, so
    // the provider's URLs follow the configured public URL and clients cannot spoof them.
    provider.proxy = true;
    this.useHashedClientSecrets(provider);
    provider.use(offlineAccessConsent('/oauth2/authorize'));
    provider.use(tokenFailures(this.options.bruteForceRefillSeconds, (ctx) => this.auditTokenFailure(ctx)));
    provider.use(structuredTokenEndpoints(this.verifier, this.revocations));
    provider.use(smartTokenResponse(this.fhirAudience));
    provider.on('server_error', (_ctx: unknown, err: unknown) => this.logger.error({ err }, 'authorization server error'));
    return { provider, handler: provider.callback(), keyVersion: this.keyRing.signingVersion() };
  }

  /**
   * Client secrets are stored as scrypt hashes; oidc-provider exposes the comparison as the client
   * prototype's (awaited) compareClientSecret for exactly this. Failed comparisons spend the client's
   * brute-force budget; an exhausted budget answers 429 before any comparison.
   */
  private useHashedClientSecrets(provider: Provider): void {
    const limiter = this.limiter;
    const counters = this.counters;
    provider.Client.prototype.compareClientSecret = async function compareHashed(this: { clientId: string; clientSecret?: string }, actual: unknown) {
      const key = `client:${this.clientId}`;
      if (limiter.retryAfter([key]) > 0) {
        counters.rateLimited += 1;
        const err = new errors.OIDCProviderError(429, 'temporarily_unavailable');
        err.error_description = 'too many failed authentication attempts for this client; retry later';
        throw err;
      }
      const ok = typeof actual === 'string' && !!this.clientSecret && (await verifySecret(actual, this.clientSecret));
      if (!ok) limiter.fail([key]);
      return ok;
    };
  }

  private async followKeyRotation(): Promise<void> {
    await this.keyRing.refresh();
    if (this.keyRing.signingVersion() !== this.state().keyVersion) {
      this.current = this.build();
      this.logger.info({ signingKeys: this.keyRing.signingVersion() }, 'signing keys rotated: now signing with the new keys');
    }
  }

  private async auditTokenFailure(ctx: KoaContextWithOIDC): Promise<void> {
    const body = typeof ctx.body === 'object' && ctx.body ? (ctx.body as { error?: string; error_description?: string }) : {};
    const clientId = ctx.oidc?.client?.clientId ?? (typeof ctx.oidc?.params?.client_id === 'string' ? ctx.oidc.params.client_id : undefined);
    await this.audit.write(
      [{ interaction: 'login', outcome: ctx.status === 401 || ctx.status === 429 ? 'denied' : 'failed', detail: `token endpoint: ${body.error ?? ctx.status} ${body.error_description ?? ''}`.trim() }],
      { clientId },
      originOf(ctx),
    );
  }

  private every(ms: number, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((err: unknown) => this.logger.error({ err }, 'auth background task failed'))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

function originOf(ctx: KoaContextWithOIDC): RequestOrigin {
  return { ip: String(ctx.ip ?? ''), method: String(ctx.method), path: String(ctx.path), traceId: String(ctx.get?.('x-trace-id') ?? '') };
}
