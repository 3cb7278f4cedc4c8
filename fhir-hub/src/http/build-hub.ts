import { randomUUID } from 'node:crypto';
import { FhirRouter } from '@medplum/fhir-router';
import { HealthChecks, createMetricsRegistry, type IdentityConfig } from '@simpul/infra';
import type { Registry } from 'prom-client';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AuthServer, authMeRoute, oauthRoutes, requestRepository, requireAdminScope, requireBearerToken, type AuthOptions } from '../auth/index.ts';
import { BlobStore } from '../binary/blob-store.ts';
import type { Sql } from '../db/connect.ts';
import { HubError, hubError } from '../errors.ts';
import { IdentityService } from '../identity/index.ts';
import { dicomwebRoutes } from '../dicomweb/dicomweb-routes.ts';
import { adminMessageRoutes } from '../messages/admin-message-routes.ts';
import { messageStatsRoutes } from '../messages/message-stats.ts';
import { buildCapabilityStatement } from '../metadata/capability-statement.ts';
import { PostgresRepository } from '../repo/postgres-repository.ts';
import type { WriteListener } from '../repo/write-events.ts';
import { initSearchDefinitions, SearchParameterRegistry } from '../search/index.ts';
import { SubscriptionCache } from '../subscriptions/subscription-cache.ts';
import { createSubscriptionListener } from '../subscriptions/subscription-events.ts';
import { prepareSubscription } from '../subscriptions/subscription-rules.ts';
import { initValidation, validateFhirResource } from '../validation/index.ts';
import { HubTerminology, adminTerminologyRoutes, createTerminologyWriteListener, registerTerminologyOperations, type HubTerminologyOptions } from '../terminology/index.ts';
import { appRoutes } from './app-routes.ts';
import { registerContentTypes } from './content-types.ts';
import { registerErrorHandler } from './error-handler.ts';
import { registerHubMetrics } from './hub-metrics.ts';
import { FHIR_PREFIX, fhirRoutes } from './fhir-routes.ts';

export interface HubOptions {
  sql: Sql;
  logger: Logger;
  /** Public base URL ending in `/`. */
  baseUrl: string;
  storageDir: string;
  maxBodyBytes: number;
  maxBinaryBytes: number;
  maxQueryStringLength: number;
  version?: string;
  writeListeners?: WriteListener[];
  /** Where the hub's metrics go; a registry of its own by default. */
  metrics?: Registry;
  /** Authorization server and resource server tunables (token lifetimes, audit, brute-force limits). */
  auth?: Partial<AuthOptions>;
  /** Starter content on/off and files loaded at start (config `terminology`). */
  terminology?: HubTerminologyOptions;
  /** Patient matching, `$match`, review and merge (config `identity`); off when not given. */
  identity?: IdentityConfig;
}

export interface Hub {
  app: FastifyInstance;
  repo: PostgresRepository;
  health: HealthChecks;
  subscriptions: SubscriptionCache;
  auth: AuthServer;
  terminology: HubTerminology;
  identity?: IdentityService;
}

const TRACE_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Builds the hub's HTTP app without listening: `simpul hub` listens, tests call `inject()`. */
export async function buildHub(options: HubOptions): Promise<Hub> {
  initSearchDefinitions();
  initValidation();
  const blobs = new BlobStore(options.storageDir);
  const subscriptions = new SubscriptionCache(options.sql, options.logger.child({ part: 'subscriptions' }));
  await subscriptions.start();
  // SearchParameters written at run time become searchable and indexed in every replica.
  const searchParameters = new SearchParameterRegistry(options.sql, options.logger.child({ part: 'search-parameters' }));
  await searchParameters.start();
  const terminology = new HubTerminology(options.sql, options.logger.child({ part: 'terminology' }), options.terminology);
  const identity = options.identity?.enabled
    ? new IdentityService(options.sql, options.identity, options.logger.child({ part: 'identity' }), options.baseUrl)
    : undefined;
  const repo = new PostgresRepository(options.sql, {
    baseUrl: options.baseUrl,
    validate: (resource) => validateFhirResource(resource),
    transforms: [prepareSubscription],
    writeListeners: [
      createSubscriptionListener(subscriptions),
      createTerminologyWriteListener(terminology),
      searchParameters.writeListener(),
      ...(identity ? [identity.writeListener()] : []),
      ...(options.writeListeners ?? []),
    ],
    blobs,
  });
  const router = new FhirRouter();
  registerTerminologyOperations(router, terminology);
  identity?.attach(repo, router);
  const health = new HealthChecks();
  health.register('database', async () => {
    await options.sql`SELECT 1`;
  });
  health.register('blob-store', async () => {
    await blobs.put('.health/probe', Buffer.from('ok'));
  });

  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.maxBinaryBytes,
    routerOptions: { maxParamLength: 1024 },
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'traceId', disableRequestLogging: true }),
    genReqId: (request) => {
      const given = request.headers['x-trace-id'];
      return typeof given === 'string' && TRACE_ID.test(given) ? given : randomUUID();
    },
  }) as unknown as FastifyInstance;
  const auth = await AuthServer.start({
    sql: options.sql,
    baseUrl: options.baseUrl,
    logger: options.logger.child({ part: 'auth' }),
    repo,
    options: options.auth,
  }).catch(async (err: unknown) => {
    await subscriptions.stop();
    throw err;
  });
  app.addHook('onClose', async () => {
    await subscriptions.stop();
    await auth.stop();
  });
  app.addHook('onClose', () => terminology.stop());
  app.addHook('onClose', () => searchParameters.stop());
  if (identity) {
    identity.start();
    app.addHook('onClose', () => identity.stop());
  }
  await terminology.start().catch(async (err: unknown) => {
    await app.close();
    throw err;
  });
  registerContentTypes(app, options);
  registerErrorHandler(app);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-trace-id', String(request.id));
    const q = request.url.indexOf('?');
    if (q >= 0 && request.url.length - q - 1 > options.maxQueryStringLength) {
      throw hubError(HubError.QUERY_TOO_LONG, `The query string is longer than ${options.maxQueryStringLength} characters (hub.maxQueryStringLength)`);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  const capability = buildCapabilityStatement({ baseUrl: options.baseUrl, version: options.version ?? '0.1.0', secured: true });
  app.get(`${FHIR_PREFIX}/metadata`, async (_request, reply) => {
    reply.header('content-type', 'application/fhir+json; charset=utf-8');
    return JSON.stringify(capability);
  });
  const metrics = options.metrics ?? createMetricsRegistry({ part: 'hub' });
  registerHubMetrics(app, metrics, options.sql);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const result = await health.run();
    return reply.status(result.ok ? 200 : 503).send({ status: result.ok ? 'ready' : 'not ready', checks: result.checks });
  });
  // Public: OAuth2/OIDC endpoints, the sign-in page and the discovery documents.
  await app.register(oauthRoutes, { auth });
  // Public: the viewer's static files at /app/ (its data still needs the signed-in person's token).
  await app.register(appRoutes, { sql: options.sql, baseUrl: options.baseUrl });
  // Everything else needs a bearer token; FHIR requests see the repository through the token's scopes.
  await app.register(async (secured) => {
    requireBearerToken(secured, auth);
    authMeRoute(secured, auth);
    await secured.register(fhirRoutes, { router, repoFor: (request) => requestRepository(auth, request), blobs, baseUrl: options.baseUrl, expandSearch: identity && ((query) => identity.expandSearch(query)) });
    // WADO-RS retrieval of original DICOM instances, under the same token and scopes as FHIR.
    await secured.register(dicomwebRoutes, { storageDir: options.storageDir, repoFor: (request) => requestRepository(auth, request) });
    await secured.register(async (admin) => {
      requireAdminScope(admin);
      await admin.register(adminMessageRoutes, { sql: options.sql });
      await admin.register(messageStatsRoutes, { sql: options.sql });
      await admin.register(adminTerminologyRoutes, { sql: options.sql, terminology });
    });
  });
  return { app, repo, health, subscriptions, auth, terminology, identity };
}
