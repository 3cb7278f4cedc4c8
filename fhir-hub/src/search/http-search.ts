/**
 * Recognises the HTTP requests that are FHIR searches (GET [base]/Type, GET [base]?_type=...,
 * POST [base]/Type/_search, POST [base]/_search) and parses them with the hub's own parser, so the
 * HTTP layer can run them without core's parseSearchRequest (see parse-query.ts for why).
 */
import type { SearchRequest } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import { traceContext } from '../trace-context.ts';
import type { RawSearchQuery } from './parse-query.ts';
import { parseSearchQuery } from './parse-query.ts';
import { outcomeOf } from './search-bundle.ts';
import type { SearchQuery } from './search-query.ts';
import { toSearchRequest } from './search-request.ts';

export interface HttpSearchRequest {
  method: string;
  /** Path segments after /fhir/R4. */
  pathParts: string[];
  query: RawSearchQuery;
  /** The parsed body of a POST (form fields), if any. */
  body: unknown;
  /** The Prefer header. */
  prefer: string | undefined;
}

/** The parsed search, or undefined when the request is not a search. Throws 400 OperationOutcomes. */
export function parseHttpSearch(request: HttpSearchRequest): SearchQuery | undefined {
  const { method, pathParts } = request;
  const isTypeName = (part: string | undefined): part is string => !!part && /^[A-Z][A-Za-z]+$/.test(part);
  let resourceType: string | undefined;
  let fromBody = false;
  if (method === 'GET' && pathParts.length === 1 && isTypeName(pathParts[0])) {
    resourceType = pathParts[0];
  } else if (method === 'GET' && pathParts.length === 0) {
    resourceType = undefined;
  } else if (method === 'POST' && pathParts.length === 2 && isTypeName(pathParts[0]) && pathParts[1] === '_search') {
    resourceType = pathParts[0];
    fromBody = true;
  } else if (method === 'POST' && pathParts.length === 1 && pathParts[0] === '_search') {
    fromBody = true;
  } else {
    return undefined;
  }
  const pairs = toPairs(request.query);
  if (fromBody && request.body && typeof request.body === 'object' && !Buffer.isBuffer(request.body)) {
    pairs.push(...toPairs(request.body as RawSearchQuery));
  }
  return parseSearchQuery(resourceType, pairs, { handling: preferredHandling(request.prefer) });
}

/** `Prefer: handling=strict` or `handling=lenient` (the default). */
export function preferredHandling(prefer: string | undefined): 'strict' | 'lenient' {
  const match = /(?:^|[,;\s])handling\s*=\s*"?(strict|lenient)"?/i.exec(prefer ?? '');
  return match?.[1].toLowerCase() === 'strict' ? 'strict' : 'lenient';
}

function toPairs(query: RawSearchQuery): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(query ?? {})) {
    for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
      pairs.push([key, String(v)]);
    }
  }
  return pairs;
}

/** The repository as the HTTP layer holds it (the hub's, or the auth layer's wrapper of it). */
export interface SearchableRepository {
  search(request: SearchRequest): Promise<Bundle>;
}

/**
 * Runs a parsed HTTP search through the repository, with the request's handling in the search
 * context, and reports the parameters ignored under lenient handling as an OperationOutcome entry
 * (search.mode 'outcome').
 */
export async function runHttpSearch(repo: SearchableRepository, query: SearchQuery): Promise<Bundle> {
  const context = { handling: query.handling, issues: [...query.issues] };
  const store = traceContext.getStore();
  const bundle = await traceContext.run({ traceId: store?.traceId ?? '', ...store, search: context }, () =>
    repo.search(toSearchRequest(query)),
  );
  if (context.issues.length > 0) {
    bundle.entry = [...(bundle.entry ?? []), { resource: outcomeOf(context.issues), search: { mode: 'outcome' } }];
  }
  return bundle;
}
