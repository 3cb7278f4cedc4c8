import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BearerGuard } from '../auth/bearer-guard.ts';
import { badRequest, businessRuleViolation, notFound } from '../sandbox-error.ts';
import type { SandboxBehaviour } from '../sandbox-options.ts';
import { isPlainObject, type FhirJson } from './fhir-json.ts';
import { hasIdentifier, parseIdentifierToken, type IdentifierToken } from './identifier-token.ts';
import { applyReplacePatch } from './json-patch.ts';
import type { ResourceStore, StoredResource } from './resource-store.ts';
import { searchsetBundle } from './searchset.ts';
import { checkWrite } from './write-rules.ts';

/** Types clients create and update (sections 3 and 10.4). */
export const WRITABLE_TYPES = ['ServiceRequest', 'ImagingStudy', 'Encounter', 'Observation', 'DiagnosticReport', 'Location'] as const;
/** Master data the platform owns: read and searched, never written. */
export const SEEDED_TYPES = ['Patient', 'Practitioner', 'Organization'] as const;

const READABLE = new Set<string>([...WRITABLE_TYPES, ...SEEDED_TYPES]);
const WRITABLE = new Set<string>(WRITABLE_TYPES);

/** Search parameters the sandbox accepts and ignores, as the router sends them (section 3). */
const IGNORED_SEARCH_PARAMETERS = new Set(['_sort', '_count']);

export interface FhirRouteOptions {
  store: ResourceStore;
  guard: BearerGuard;
  behaviour: SandboxBehaviour;
  maxJsonBytes: number;
  /** `http://host:port` (or the configured public base) that links start with. */
  origin: (request: FastifyRequest) => string;
}

interface TypeParams {
  type: string;
}
interface InstanceParams extends TypeParams {
  id: string;
}

/** `{host}/fhir-r4/v1`: read, search by identifier, create, update and replace-only patch. */
export async function fhirRoutes(app: FastifyInstance, options: FhirRouteOptions): Promise<void> {
  const { store, guard, behaviour } = options;
  app.addContentTypeParser(
    ['application/fhir+json', 'application/json-patch+json'],
    { parseAs: 'string', bodyLimit: options.maxJsonBytes },
    app.getDefaultJsonParser('error', 'error'),
  );
  const fhirBase = (request: FastifyRequest): string => `${options.origin(request)}/fhir-r4/v1`;

  const readable = (request: FastifyRequest, stored: StoredResource): boolean =>
    !behaviour.restrictReadsToOwnOrganization || stored.owner === undefined || stored.owner === guard.grantOf(request).organizationId;

  app.get<{ Params: InstanceParams }>('/:type/:id', async (request) => {
    const { type, id } = request.params;
    const stored = READABLE.has(type) ? store.read(type, id) : undefined;
    if (stored === undefined) throw notFound(`${type}/${id} not found`);
    if (!readable(request, stored)) throw businessRuleViolation(behaviour.businessRuleStatus);
    return stored.resource;
  });

  app.get<{ Params: TypeParams; Querystring: Record<string, string | string[]> }>('/:type', async (request) => {
    const type = supportedType(request.params.type, READABLE);
    const tokens: IdentifierToken[] = [];
    for (const [name, value] of Object.entries(request.query)) {
      if (IGNORED_SEARCH_PARAMETERS.has(name)) continue;
      if (name !== 'identifier') throw badRequest('not-supported', `The sandbox does not support the search parameter "${name}" on ${type}`, name);
      for (const text of Array.isArray(value) ? value : [value]) tokens.push(parseIdentifierToken(text));
    }
    if (tokens.length === 0) throw badRequest('value', `Search ${type} by identifier: ?identifier={system}|{value}`, 'identifier');
    const found = store.find(type, (stored) => readable(request, stored) && tokens.every((token) => hasIdentifier(stored.resource, token)));
    return searchsetBundle(found, fhirBase(request), `${options.origin(request)}${request.url}`);
  });

  app.post<{ Params: TypeParams }>('/:type', async (request, reply) => {
    const type = supportedType(request.params.type, WRITABLE);
    const { organizationId } = guard.grantOf(request);
    const resource = resourceBody(request.body, type);
    checkWrite(resource, { organizationId }, store, behaviour);
    const created = store.create(resource, organizationId);
    return reply
      .code(201)
      .header('location', `${fhirBase(request)}/${type}/${created.id}/_history/${versionOf(created)}`)
      .send(created);
  });

  app.put<{ Params: InstanceParams }>('/:type/:id', async (request) => {
    const { id } = request.params;
    const type = supportedType(request.params.type, WRITABLE);
    const { organizationId } = ownedForWrite(request, type, id);
    const resource = resourceBody(request.body, type);
    if (resource.id !== undefined && resource.id !== id) {
      throw badRequest('value', `The resource's id ${String(resource.id)} does not match ${type}/${id} in the URL`, `${type}.id`);
    }
    const replacement = { ...resource, id };
    checkWrite(replacement, { organizationId, selfId: id }, store, behaviour);
    return store.update(replacement);
  });

  app.patch<{ Params: InstanceParams }>('/:type/:id', async (request) => {
    const { id } = request.params;
    const type = supportedType(request.params.type, WRITABLE);
    const { organizationId, current } = ownedForWrite(request, type, id);
    const patched = { ...applyReplacePatch(current, request.body), id };
    checkWrite(patched, { organizationId, selfId: id }, store, behaviour);
    return store.update(patched);
  });

  /** The stored resource, if the request's organisation may change it. */
  function ownedForWrite(request: FastifyRequest, type: string, id: string): { organizationId: string; current: FhirJson } {
    const { organizationId } = guard.grantOf(request);
    const stored = store.read(type, id);
    if (stored === undefined) throw notFound(`${type}/${id} not found`);
    if (stored.owner !== organizationId) throw businessRuleViolation(behaviour.businessRuleStatus);
    return { organizationId, current: stored.resource };
  }
}

function supportedType(type: string, supported: Set<string>): string {
  if (!supported.has(type)) {
    throw badRequest('not-supported', `The sandbox does not support this interaction on ${type} (supported: ${[...supported].join(', ')})`);
  }
  return type;
}

function resourceBody(body: unknown, type: string): FhirJson {
  if (!isPlainObject(body)) throw badRequest('structure', `The body must be a ${type} resource as JSON`);
  if (body.resourceType !== type) {
    throw badRequest('value', `resourceType must be ${type}, found ${JSON.stringify(body.resourceType)}`, 'resourceType');
  }
  return body as FhirJson;
}

function versionOf(resource: FhirJson): string {
  return (resource.meta as { versionId: string }).versionId;
}
