/**
 * SMART on FHIR resource scopes, v1 (`patient/Observation.read`, `user/*.*`, `system/*.write`) and
 * v2 (`patient/Observation.rs`, granular `patient/Observation.rs?category=<system>|<code>`), parsed
 * into one shape: context, resource type (or `*`), the set of cruds permissions and an optional query.
 * Pure functions, no I/O: the authorization server uses them to decide what a client may be granted,
 * the resource server to decide what a token may do.
 */
import { getSearchParameter, isResourceType } from '@medplum/core';

export type ScopeContext = 'patient' | 'user' | 'system';
/** SMART v2 permission letters: create, read, update, delete, search. */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface SmartScope {
  /** The scope as it was written. */
  raw: string;
  context: ScopeContext;
  /** A resource type, or `*` for every type. */
  resourceType: string;
  permissions: ReadonlySet<Permission>;
  /** Granular (v2) restriction as a normalised query string, e.g. `category=http://x|lab`. */
  query?: string;
}

/** The hub's own scope for its admin API (message store, replay); never part of SMART. */
export const ADMIN_SCOPE = 'admin';

/** OpenID Connect and SMART launch scopes the authorization server knows (oidc-provider "scopes"). */
export const OIDC_SCOPES = ['openid', 'fhirUser', 'profile', 'offline_access', 'launch/patient'] as const;

export function isOidcScope(word: string): boolean {
  return (OIDC_SCOPES as readonly string[]).includes(word);
}

const ALL: Permission[] = ['c', 'r', 'u', 'd', 's'];
const V1_PERMISSIONS: Record<string, Permission[]> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': ALL };
const SCOPE_FORM = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]+)(\?.*)?$/;
const V2_LETTERS = /^c?r?u?d?s?$/;
/** Search-result controls that make no sense as an access restriction. */
const NOT_A_RESTRICTION = /^_(include|revinclude|count|offset|sort|summary|elements|total|contained|containedType|cursor)$/;

/** The parsed scope, or undefined when `raw` is not a SMART resource scope the hub can enforce. */
export function parseSmartScope(raw: string): SmartScope | undefined {
  const match = SCOPE_FORM.exec(raw);
  if (!match) return undefined;
  const [, context, resourceType, action, queryPart] = match;
  if (resourceType !== '*' && !isResourceType(resourceType)) return undefined;
  let permissions: Permission[];
  if (Object.hasOwn(V1_PERMISSIONS, action)) {
    if (queryPart) return undefined;
    permissions = V1_PERMISSIONS[action];
  } else if (V2_LETTERS.test(action) && action.length > 0) {
    permissions = [...action] as Permission[];
  } else {
    return undefined;
  }
  let query: string | undefined;
  if (queryPart !== undefined) {
    query = normaliseQuery(resourceType, queryPart.slice(1));
    if (query === undefined) return undefined;
  }
  return { raw, context: context as ScopeContext, resourceType, permissions: new Set(permissions), query };
}

/** Every SMART scope in a space-separated scope string; other words (openid, admin, ...) are skipped. */
export function parseSmartScopes(scope: string | undefined): SmartScope[] {
  const scopes: SmartScope[] = [];
  for (const word of splitScope(scope)) {
    const parsed = parseSmartScope(word);
    if (parsed) scopes.push(parsed);
  }
  return scopes;
}

export function splitScope(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter(Boolean))];
}

/** True when a client allowed `allowed` may be given `requested` (same context, no wider). */
export function scopeCovers(allowed: SmartScope, requested: SmartScope): boolean {
  if (allowed.context !== requested.context) return false;
  if (allowed.resourceType !== '*' && allowed.resourceType !== requested.resourceType) return false;
  for (const p of requested.permissions) {
    if (!allowed.permissions.has(p)) return false;
  }
  return allowed.query === undefined || allowed.query === requested.query;
}

/**
 * The resource scopes (SMART or the admin scope) of `requested` that a client registered with
 * `allowed` may receive, restricted to the given contexts (system/ for services, patient/ and user/
 * for apps acting for a person). Anything else is dropped, never widened.
 */
export function grantableResourceScopes(requested: string[], allowed: string[], contexts: readonly ScopeContext[]): string[] {
  const allowedSmart = allowed.map(parseSmartScope).filter((s): s is SmartScope => s !== undefined);
  const granted: string[] = [];
  for (const word of requested) {
    if (word === ADMIN_SCOPE) {
      if (allowed.includes(ADMIN_SCOPE) && contexts.includes('system')) granted.push(word);
      continue;
    }
    const parsed = parseSmartScope(word);
    if (parsed && contexts.includes(parsed.context) && allowedSmart.some((a) => scopeCovers(a, parsed))) {
      granted.push(word);
    }
  }
  return [...new Set(granted)];
}

/** A query restriction kept only when every parameter is a search parameter of the type. */
function normaliseQuery(resourceType: string, query: string): string | undefined {
  if (resourceType === '*' || query === '') return undefined;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return undefined;
  }
  const pairs: string[] = [];
  for (const [key, value] of params) {
    const code = key.split(':')[0];
    if (!value || NOT_A_RESTRICTION.test(code) || code.includes('.') || code.startsWith('_has')) return undefined;
    if (code !== '_id' && code !== '_lastUpdated' && !getSearchParameter(resourceType, code)) return undefined;
    pairs.push(`${key}=${value}`);
  }
  return pairs.length ? pairs.join('&') : undefined;
}
