import { MedplumClient, OperationOutcomeError, getStatus } from '@medplum/core';
import type { Bundle, OperationOutcome, Patient, Resource, ResourceType } from '@medplum/fhirtypes';

/** What the ingest worker needs from the hub: FHIR REST plus the message store's admin API. */
export interface HubClient {
  transaction(bundle: Bundle): Promise<Bundle>;
  /** Every resource of a type (paged through), e.g. the ConceptMaps the mappers translate with. */
  searchAll<T extends Resource>(resourceType: T['resourceType']): Promise<T[]>;
  /** Adds sightings of codes the mappers could not translate to the hub's unmapped-codes report. */
  reportUnmapped(entries: UnmappedSighting[]): Promise<void>;
  searchPatients(query: string): Promise<Patient[]>;
  recordReceived(id: string, body: ReceivedReport): Promise<ReceivedAnswer>;
  recordOutcome(id: string, body: OutcomeReport): Promise<void>;
  /** A search's matches (the first page, up to `_count`). */
  search<T extends Resource>(resourceType: ResourceType, query: string): Promise<T[]>;
  /** PUT of the resource, only if it is still at `versionId` (412 otherwise). */
  update<T extends Resource>(resource: T & { id: string }, versionId: string): Promise<T>;
}

export interface UnmappedSighting {
  system: string;
  code: string;
  display?: string;
  targetSystem?: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  exampleMessageId?: string;
}

export interface ReceivedReport {
  kind: string;
  source: string;
  messageType?: string;
  controlId?: string;
  contentType: string;
  raw: string;
  receivedAt: string;
  traceId?: string;
  patientIds?: string[];
  duplicateWindowMs?: number;
}

export interface ReceivedAnswer {
  firstSeen: boolean;
  message: { status: string; resources: string[] };
  duplicateOf?: { id: string; status: string; resources: string[] };
}

export interface OutcomeReport {
  status: 'received' | 'mapped' | 'stored' | 'error';
  error?: string;
  resources?: string[];
  patientIds?: string[];
  messageType?: string;
}

export interface HubClientOptions {
  /** The hub's base URL, ending in `/` (config `hub.baseUrl`). */
  baseUrl: string;
  clientId?: string;
  clientSecret?: string;
  fetch?: typeof fetch;
}

/** A hub error with its HTTP status, so the worker can tell a bad message from a hub that is down. */
export class HubRequestError extends Error {
  readonly status: number;
  readonly outcome?: OperationOutcome;

  constructor(message: string, status: number, outcome?: OperationOutcome, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HubRequestError';
    this.status = status;
    this.outcome = outcome;
  }

  /** 4xx other than timeouts, conflicts and throttling: sending the same thing again fails the same way. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && ![408, 409, 412, 429].includes(this.status);
  }
}

/** A HubClient over MedplumClient, signing in with client credentials when they are configured. */
export async function createHubClient(options: HubClientOptions): Promise<HubClient> {
  const medplum = new MedplumClient({
    baseUrl: options.baseUrl,
    fetch: options.fetch ?? fetch,
    cacheTime: 0,
    // MedplumClient renews a token that expires within refreshGracePeriod (default 5 minutes); the hub's
    // client-credentials tokens live 5 minutes, so with the default every request would sign in again.
    refreshGracePeriod: 30_000,
    ...(options.clientId ? { clientId: options.clientId, clientSecret: options.clientSecret } : {}),
  });
  if (options.clientId && options.clientSecret) {
    await medplum.startClientLogin(options.clientId, options.clientSecret);
  }
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toHubError(what, err);
    }
  };
  return {
    transaction: (bundle) => call('transaction', () => medplum.executeBatch(bundle)),
    searchAll: async <T extends Resource>(resourceType: T['resourceType']) =>
      call(`${resourceType} search`, async () => {
        const all: T[] = [];
        for await (const page of medplum.searchResourcePages(resourceType, { _count: '1000' })) all.push(...(page as unknown as T[]));
        return all;
      }),
    reportUnmapped: async (entries) => {
      if (entries.length === 0) return;
      await call('unmapped-codes report', () => medplum.post(medplum.getBaseUrl() + 'admin/terminology/unmapped', { entries }));
    },
    searchPatients: (query) => call(`Patient?${query}`, () => medplum.searchResources('Patient', query)),
    recordReceived: (id, body) =>
      call(`message store (received ${id})`, () => medplum.put(medplum.getBaseUrl() + `admin/messages/${id}/received`, body)),
    recordOutcome: async (id, body) => {
      await call(`message store (outcome ${id})`, () => medplum.put(medplum.getBaseUrl() + `admin/messages/${id}/outcome`, body));
    },
    search: async <T extends Resource>(resourceType: ResourceType, query: string) =>
      (await call(`${resourceType}?${query}`, () => medplum.searchResources(resourceType, query))) as unknown as T[],
    update: <T extends Resource>(resource: T & { id: string }, versionId: string) =>
      call(`update of ${resource.resourceType}/${resource.id}`, () => medplum.updateResource(resource, { headers: { 'If-Match': `W/"${versionId}"` } })),
  };
}

function toHubError(what: string, err: unknown): HubRequestError {
  if (err instanceof OperationOutcomeError) {
    const status = getStatus(err.outcome);
    return new HubRequestError(`hub refused ${what}: ${err.message}`, status, err.outcome, { cause: err });
  }
  return new HubRequestError(`hub unreachable for ${what}: ${(err as Error).message}`, 503, undefined, { cause: err });
}
