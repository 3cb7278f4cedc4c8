import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BearerGuard } from './auth/bearer-guard.ts';
import { TokenIssuer } from './auth/token-issuer.ts';
import { tokenRoutes } from './auth/token-route.ts';
import { controlRoutes } from './control/control-routes.ts';
import { InstanceStore, type ReceivedInstance } from './dicom/instance-store.ts';
import { stowRoutes } from './dicom/stow-route.ts';
import { installErrorHandling } from './error-handler.ts';
import { FaultController } from './faults/fault-controller.ts';
import { faultHook } from './faults/fault-hook.ts';
import type { FhirJson } from './fhir/fhir-json.ts';
import { fhirRoutes } from './fhir/fhir-routes.ts';
import { ResourceStore } from './fhir/resource-store.ts';
import { organizationResource, patientResource, practitionerResource } from './fhir/seed-resources.ts';
import { RequestLog, type ReceivedRequest } from './inspection/request-log.ts';
import {
  satusehatSandboxOptionsSchema,
  type SandboxPerson,
  type SatusehatSandboxConfig,
  type SatusehatSandboxConfigInput,
} from './sandbox-options.ts';

export interface SatusehatSandboxOptions extends SatusehatSandboxConfigInput {
  /** The clock (epoch ms) for token issue/expiry and timestamps; tests pass a fake one. Default `Date.now`. */
  now?: () => number;
  /** A pino logger for the server; default: silent. */
  logger?: FastifyBaseLogger;
}

/** Read-only views of what the sandbox received. Every call returns copies. */
export interface SandboxInspection {
  /** Resources of one type (or all), seed data included, most recent writes first within a type. */
  resources(type?: string): FhirJson[];
  /** DICOM instances received, in arrival order, with their bytes. */
  instances(): ReceivedInstance[];
  /** Requests answered (outside `/_sandbox/`), in order, credentials masked. */
  requests(): ReceivedRequest[];
}

export interface SatusehatSandbox {
  /** The Fastify app, built and ready; `inject()` it or `listen()`. */
  readonly app: FastifyInstance;
  /** The validated options, defaults filled in (credentials of the organisations included). */
  readonly config: SatusehatSandboxConfig;
  readonly store: SandboxInspection;
  readonly faults: FaultController;
  /** Listens (default `127.0.0.1`, a free port) and resolves to the base URL, e.g. `http://127.0.0.1:40123`. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** The base URL once listening; throws before. The platform's paths hang off it (`/oauth2/v1`, `/fhir-r4/v1`, `/dicom/v1`). */
  readonly url: string;
  /** Adds Patients / Practitioners to the master data. */
  seed(people: { patients?: SandboxPerson[]; practitioners?: SandboxPerson[] }): void;
  /** Forgets what was received (resources written, instances, requests) and disarms faults; seed data and tokens stay. */
  reset(): void;
  close(): Promise<void>;
}

const CONTROL_PREFIX = '/_sandbox';

/**
 * A test double of SATUSEHAT (section 10 of shared/SATUSEHAT.md): OAuth2 token, FHIR R4 and DICOM
 * STOW-RS on the platform's paths, so a client reaches it by changing its base URL only.
 */
export async function createSatusehatSandbox(options: SatusehatSandboxOptions = {}): Promise<SatusehatSandbox> {
  const { now = Date.now, logger, ...input } = options;
  const parsed = satusehatSandboxOptionsSchema.safeParse(input);
  if (!parsed.success) throw new Error(`Invalid SATUSEHAT sandbox options:\n${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  const { behaviour } = config;

  const issuer = new TokenIssuer({
    organizations: config.organizations,
    ttlSeconds: config.tokenTtlSeconds,
    gatewayOrganizationName: config.gatewayOrganizationName,
    apiProduct: config.apiProduct,
    now,
  });
  const guard = new BearerGuard(issuer, behaviour.tokenRejectionBody);
  const resources = new ResourceStore(now);
  const instances = new InstanceStore();
  const faults = new FaultController(() => issuer.expireAll());
  const isControlPath = (path: string): boolean => path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
  const requestLog = new RequestLog(now, isControlPath);

  const seed = (people: { patients?: SandboxPerson[]; practitioners?: SandboxPerson[] }): void => {
    for (const person of people.patients ?? []) resources.seed(patientResource(person));
    for (const person of people.practitioners ?? []) resources.seed(practitionerResource(person));
  };
  for (const org of config.organizations) resources.seed(organizationResource(org));
  seed(config);

  const publicBase = config.publicBaseUrl?.replace(/\/+$/, '');
  const origin = (request: FastifyRequest): string => publicBase ?? `${request.protocol}://${request.host}`;

  const app = Fastify({ bodyLimit: config.maxJsonBytes, ...(logger ? { loggerInstance: logger } : { logger: false }) });
  installErrorHandling(app);
  app.addHook('onRequest', requestLog.onRequest);
  app.addHook('onRequest', faultHook({
    faults,
    tokenRejection: (reason) => guard.rejection(reason),
    businessRuleStatus: behaviour.businessRuleStatus,
    exempt: isControlPath,
    onFired: (request, fault) => requestLog.noteFault(request, fault.kind),
  }));
  app.addHook('onResponse', requestLog.onResponse);

  await app.register(tokenRoutes, { prefix: '/oauth2/v1', issuer, badCredentialsStatus: behaviour.badCredentialsStatus });
  await app.register(async (protectedApp) => {
    protectedApp.addHook('onRequest', guard.onRequest);
    await protectedApp.register(fhirRoutes, { prefix: '/fhir-r4/v1', store: resources, guard, behaviour, maxJsonBytes: config.maxJsonBytes, origin });
    await protectedApp.register(stowRoutes, {
      prefix: '/dicom/v1',
      instances,
      resources,
      guard,
      behaviour,
      maxDicomBytes: config.maxDicomBytes,
      origin,
      now,
    });
  });

  const store: SandboxInspection = {
    resources: (type) => resources.all(type),
    instances: () => instances.all(),
    requests: () => requestLog.all(),
  };
  const reset = (): void => {
    resources.resetWritten();
    instances.clear();
    requestLog.clear();
    faults.clear();
  };
  await app.register(controlRoutes, { prefix: CONTROL_PREFIX, ...store, faults, seed, reset });
  await app.ready();

  return {
    app,
    config,
    store,
    faults,
    async listen({ port = 0, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host });
      return baseUrl(app);
    },
    get url() {
      return baseUrl(app);
    },
    seed,
    reset,
    close: () => app.close(),
  };
}

function baseUrl(app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo | string | null;
  if (address === null || typeof address === 'string') throw new Error('The SATUSEHAT sandbox is not listening yet: call listen() first');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
