import { OperationOutcomeError, allOk, getStatus, isOk, normalizeOperationOutcome } from '@medplum/core';
import type { FhirRequest, FhirResponse, FhirRouter, HttpMethod } from '@medplum/fhir-router';
import type { Binary, Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readBinaryBytes } from '../binary/binary-content.ts';
import type { BlobStore } from '../binary/blob-store.ts';
import { HubError, hubError, statusOfHubOutcome } from '../errors.ts';
import type { HubRepository } from '../auth/scoped-repository.ts';
import { processTransactionBundle } from '../repo/transaction-bundle.ts';
import { traceContext } from '../trace-context.ts';
import { applyReferenceTypeModifiers, parseHttpSearch, runHttpSearch, type RawSearchQuery, type SearchQuery } from '../search/index.ts';
import { isValidFhirId } from '../validation/index.ts';
import { isFhirJsonType, wantsFhirJson } from './content-types.ts';

export interface FhirRoutesOptions {
  router: FhirRouter;
  /** The repository this request may use: the hub's, behind the caller's access token. */
  repoFor: (request: FastifyRequest) => HubRepository;
  blobs: BlobStore;
  baseUrl: string;
  /** Rewrites a parsed search before it runs (identity: references to merged Patients widen to the merge set). */
  expandSearch?: (query: SearchQuery) => Promise<SearchQuery>;
}

export const FHIR_PREFIX = '/fhir/R4';
const FHIR_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Path segments in the id position that are not ids. */
const NON_ID_SEGMENT = /^(\$|_history$|_search$)/;

/**
 * Translates Fastify requests under /fhir/R4 into FhirRequests for `@medplum/fhir-router` and its
 * answers back into HTTP. REST semantics live in the router; storage lives in the repository.
 */
export async function fhirRoutes(app: FastifyInstance, options: FhirRoutesOptions): Promise<void> {
  const { router, repoFor, blobs, baseUrl, expandSearch } = options;

  const handle = (request: FastifyRequest, reply: FastifyReply): Promise<void> =>
    traceContext.run({ traceId: String(request.id) }, () => handleInContext(request, reply));

  const handleInContext = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { path } = splitUrl(request.url);
    assertPathIds(path);
    const pathParts = path.split('/').filter(Boolean);
    const repo = repoFor(request);

    if (pathParts[0] === 'Binary' && request.method !== 'DELETE' && request.method !== 'PATCH') {
      const handled = await handleBinary(request, reply, pathParts, repo, blobs, baseUrl);
      if (handled) return;
    }
    if (request.method === 'GET' && pathParts.at(-1) === '_history' && pathParts.length <= 2) {
      const query = request.query as Record<string, string | undefined>;
      const bundle = await repo.readTypeOrSystemHistory(pathParts.length === 2 ? pathParts[0] : undefined, {
        since: query._since,
        limit: query._count ? Number.parseInt(query._count, 10) : undefined,
        offset: query._offset ? Number.parseInt(query._offset, 10) : undefined,
      });
      await sendResource(reply, 200, bundle);
      return;
    }

    if (Buffer.isBuffer(request.body)) {
      throw hubError(
        HubError.UNSUPPORTED_MEDIA_TYPE,
        `Content-Type "${request.headers['content-type'] ?? ''}" is not accepted here: send application/fhir+json`,
      );
    }
    // Searches (GET [type], GET ?_type=, POST _search) run on the search engine's own parser, which
    // understands what core's does not (chains, composites, near, comma-separated dates, lenient handling).
    const search = parseHttpSearch({
      method: request.method,
      pathParts,
      query: request.query as RawSearchQuery,
      body: request.body,
      prefer: typeof request.headers.prefer === 'string' ? request.headers.prefer : undefined,
    });
    if (search) {
      await sendResource(reply, 200, await runHttpSearch(repo, expandSearch ? await expandSearch(search) : search));
      return;
    }
    const query = applyReferenceTypeModifiers(request.query as RawSearchQuery);
    let body = request.body;
    if (pathParts[1] === '_search' && request.method === 'POST' && body && typeof body === 'object') {
      body = applyReferenceTypeModifiers(body as RawSearchQuery);
    }
    const fhirRequest: FhirRequest = {
      method: request.method as HttpMethod,
      // The query travels parsed (below); a query string in the url would make the router re-parse it.
      url: path,
      pathname: '',
      params: {},
      query: query as Record<string, string | string[]>,
      body,
      headers: request.headers,
      // Without this flag the router treats a transaction Bundle like a batch (no all-or-nothing).
      config: { transactions: true },
    };
    const response = isTransactionPost(request.method, pathParts, body)
      ? await runTransaction(router, repo, body as Bundle, fhirRequest)
      : await router.handleRequest(fhirRequest, repo);
    await sendFhirResponse(reply, response, baseUrl, String(request.headers.prefer ?? ''));
  };

  for (const method of FHIR_METHODS) {
    app.route({ method, url: `${FHIR_PREFIX}`, handler: handle });
    app.route({ method, url: `${FHIR_PREFIX}/*`, handler: handle });
  }
}

async function handleBinary(
  request: FastifyRequest,
  reply: FastifyReply,
  pathParts: string[],
  repo: HubRepository,
  blobs: BlobStore,
  baseUrl: string,
): Promise<boolean> {
  const contentType = request.headers['content-type'] ?? '';
  const isRawWrite =
    (request.method === 'POST' || request.method === 'PUT') && Buffer.isBuffer(request.body) && !isFhirJsonType(contentType);
  if (isRawWrite) {
    const id = pathParts[1];
    const binary: Binary = {
      resourceType: 'Binary',
      ...(id ? { id } : undefined),
      contentType: contentType.split(';')[0].trim() || 'application/octet-stream',
      data: (request.body as Buffer).toString('base64'),
    };
    const securityContext = request.headers['x-security-context'];
    if (typeof securityContext === 'string' && securityContext) binary.securityContext = { reference: securityContext };
    const stored = id && request.method === 'PUT' ? await repo.updateResource(binary) : await repo.createResource(binary);
    await sendResource(reply, id ? 200 : 201, stored, baseUrl);
    return true;
  }
  const isInstanceRead = request.method === 'GET' && (pathParts.length === 2 || (pathParts.length === 4 && pathParts[2] === '_history'));
  if (!isInstanceRead) return false;
  const binary =
    pathParts.length === 2
      ? await repo.readResource<Binary>('Binary', pathParts[1])
      : await repo.readVersion<Binary>('Binary', pathParts[1], pathParts[3]);
  const bytes = await readBinaryBytes(blobs, binary);
  if (wantsFhirJson(request.headers.accept)) {
    await sendResource(reply, 200, bytes ? { ...binary, data: bytes.toString('base64') } : binary);
    return true;
  }
  reply.header('content-type', binary.contentType ?? 'application/octet-stream');
  setVersionHeaders(reply, binary);
  await reply.status(200).send(bytes ?? Buffer.alloc(0));
  return true;
}

export async function sendFhirResponse(
  reply: FastifyReply,
  response: FhirResponse,
  baseUrl: string,
  prefer?: string,
): Promise<void> {
  const [outcome, resource] = response;
  const status = statusOfHubOutcome(outcome) ?? getStatus(outcome);
  if (!isOk(outcome) || !resource) {
    await sendResource(reply, status, isOk(outcome) ? outcome : withoutStack(outcome));
    return;
  }
  if (prefer?.includes('return=minimal')) {
    setVersionHeaders(reply, resource);
    setLocation(reply, status, resource, baseUrl);
    await reply.status(status).send();
    return;
  }
  if (prefer?.includes('return=OperationOutcome')) {
    setVersionHeaders(reply, resource);
    setLocation(reply, status, resource, baseUrl);
    await sendResource(reply, status, outcome);
    return;
  }
  await sendResource(reply, status, resource, status === 201 ? baseUrl : undefined);
}

async function sendResource(reply: FastifyReply, status: number, resource: Resource, locationBase?: string): Promise<void> {
  setVersionHeaders(reply, resource);
  if (locationBase) setLocation(reply, status, resource, locationBase);
  reply.header('content-type', 'application/fhir+json; charset=utf-8');
  await reply.status(status).send(JSON.stringify(resource));
}

function setVersionHeaders(reply: FastifyReply, resource: Resource): void {
  if (resource.resourceType === 'Bundle' || resource.resourceType === 'OperationOutcome') return;
  if (resource.meta?.versionId) reply.header('etag', `W/"${resource.meta.versionId}"`);
  if (resource.meta?.lastUpdated) reply.header('last-modified', new Date(resource.meta.lastUpdated).toUTCString());
}

function setLocation(reply: FastifyReply, status: number, resource: Resource, baseUrl: string): void {
  if (status === 201 && resource.id) {
    const version = resource.meta?.versionId ? `/_history/${resource.meta.versionId}` : '';
    reply.header('location', `${baseUrl}fhir/R4/${resource.resourceType}/${resource.id}${version}`);
  }
}

/** The router puts exception text in 500 outcomes; clients get a plain message, the log keeps the rest. */
function withoutStack(outcome: OperationOutcome): OperationOutcome {
  if (getStatus(outcome) < 500) return outcome;
  throw new OperationOutcomeError(normalizeOperationOutcome(outcome));
}

function splitUrl(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  const full = q >= 0 ? url.slice(0, q) : url;
  const search = q >= 0 ? url.slice(q) : '';
  const path = full.slice(FHIR_PREFIX.length).replace(/^\/+/, '');
  return { path: decodeURIComponent(path), search };
}

function isTransactionPost(method: string, pathParts: string[], body: unknown): boolean {
  return (
    method === 'POST' &&
    pathParts.length === 0 &&
    typeof body === 'object' &&
    body !== null &&
    (body as Bundle).resourceType === 'Bundle' &&
    (body as Bundle).type === 'transaction'
  );
}

async function runTransaction(router: FhirRouter, repo: HubRepository, bundle: Bundle, request: FhirRequest): Promise<FhirResponse> {
  return [allOk, await processTransactionBundle(router, repo, bundle, request)];
}

/** `Patient/<not an id>` gets a 400 naming the problem instead of a confusing 404. */
function assertPathIds(path: string): void {
  const parts = path.split('/').filter(Boolean);
  const id = parts[1];
  if (id !== undefined && !NON_ID_SEGMENT.test(id) && !isValidFhirId(id)) {
    throw hubError(HubError.INVALID_ID, `"${id.slice(0, 80)}" is not a valid FHIR id (1-64 of A-Z a-z 0-9 - .)`, `${parts[0]}.id`);
  }
}
