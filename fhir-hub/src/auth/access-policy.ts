/**
 * What one access token may do, derived from its SMART scopes:
 *  - `system/` scopes count for client-credentials tokens only, `user/` and `patient/` for user tokens;
 *  - a `patient/` scope is confined to the token's patient compartment (and grants nothing without
 *    a patient in the token); a signed-in Patient's `user/` scopes are confined the same way, since
 *    the hub has no per-user access policy that would narrow `user/` further;
 *  - a granular v2 scope (`?category=...`) is a search restriction the resource must match.
 * Answers three questions: may this interaction happen on this type at all (else 403), may it happen
 * on this resource (else the resource is invisible or the write refused), and how to confine a search.
 */
import { getSearchParameter, matchesSearchRequest, Operator, parseSearchRequest, type Filter, type SearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { AuthContext } from './auth-context.ts';
import { AuthError, authError } from './auth-errors.ts';
import { isInPatientCompartment, isPatientCompartmentType, patientCompartmentFilter } from './patient-compartment.ts';
import type { Permission } from './smart-scopes.ts';

export type Interaction = 'create' | 'read' | 'update' | 'delete' | 'search';

const LETTER: Record<Interaction, Permission> = { create: 'c', read: 'r', update: 'u', delete: 'd', search: 's' };

interface ResourceGrant {
  scope: string;
  resourceType: string;
  permissions: ReadonlySet<Permission>;
  patientId?: string;
  criteria?: SearchRequest;
}

/** How a search must be confined: not at all, by extra filters, or by filtering results in memory. */
export type SearchPlan =
  | { kind: 'unrestricted' }
  | { kind: 'filters'; filters: Filter[] }
  | { kind: 'post-filter'; filters: Filter[] };

export class AccessPolicy {
  readonly auth: AuthContext;
  private readonly fhirBase: string;
  private readonly grants: ResourceGrant[];

  constructor(auth: AuthContext, fhirBase: string) {
    this.auth = auth;
    this.fhirBase = fhirBase;
    this.grants = buildGrants(auth);
  }

  /** True when the token may do `interaction` on every resource of the type (no compartment, no query). */
  isUnrestricted(resourceType: string, interaction: Interaction): boolean {
    return this.grantsFor(resourceType, interaction).some((g) => !g.patientId && !g.criteria);
  }

  /** The grants that allow the interaction on the type; throws 403 when there is none. */
  assertAllowed(resourceType: string, interaction: Interaction): ResourceGrant[] {
    const grants = this.grantsFor(resourceType, interaction);
    if (grants.length === 0) {
      const why =
        this.patientScopesWithoutPatient() && this.auth.kind === 'user'
          ? ' (patient/ scopes need a patient in the token: ask for launch/patient)'
          : '';
      throw authError(AuthError.INSUFFICIENT_SCOPE, `The access token's scopes do not allow ${interaction} on ${resourceType}${why}`);
    }
    return grants;
  }

  /** True when some grant for the interaction covers this very resource. */
  permits(resource: Resource, interaction: Interaction): boolean {
    return this.grantsFor(resource.resourceType, interaction).some((g) => this.covers(g, resource));
  }

  /**
   * How to confine a search on the type. Expressible as search filters when every grant shares one
   * restriction shape (the compartment, or one parameter whose values can be OR-ed); otherwise the
   * caller filters the page in memory and must not report a total.
   */
  searchPlan(resourceType: string): SearchPlan {
    const grants = this.assertAllowed(resourceType, 'search');
    if (grants.some((g) => !g.patientId && !g.criteria)) return { kind: 'unrestricted' };
    const filters: Filter[] = [];
    const confined = grants.filter((g) => g.patientId);
    if (confined.length > 0 && confined.length < grants.length) return { kind: 'post-filter', filters };
    if (confined.length > 0) {
      const compartment = patientCompartmentFilter(resourceType, confined[0].patientId as string);
      if (compartment) filters.push(compartment);
      if (grants.some((g) => !g.criteria)) return { kind: 'filters', filters };
    }
    const merged = mergeCriteria(grants.map((g) => g.criteria as SearchRequest));
    if (!merged) return { kind: 'post-filter', filters };
    return { kind: 'filters', filters: [...filters, merged] };
  }

  /**
   * Chained parameters (`subject.name`, `subject:Patient.name`) and `_has` read other resources;
   * the token must be allowed to search those types too.
   */
  assertChainsAllowed(resourceType: string, filters: readonly Filter[] | undefined): void {
    for (const filter of filters ?? []) {
      for (const target of chainTargets(resourceType, filter.code)) {
        this.assertAllowed(target, 'search');
      }
    }
  }

  private grantsFor(resourceType: string, interaction: Interaction): ResourceGrant[] {
    const letter = LETTER[interaction];
    return this.grants.filter(
      (g) =>
        (g.resourceType === '*' || g.resourceType === resourceType) &&
        g.permissions.has(letter) &&
        (!g.patientId || isPatientCompartmentType(resourceType)),
    );
  }

  private covers(grant: ResourceGrant, resource: Resource): boolean {
    if (grant.patientId && !isInPatientCompartment(resource, grant.patientId, this.fhirBase)) return false;
    return !grant.criteria || matchesSearchRequest(resource, grant.criteria);
  }

  private patientScopesWithoutPatient(): boolean {
    return !this.auth.patientId && this.auth.smartScopes.some((s) => s.context === 'patient');
  }
}

function buildGrants(auth: AuthContext): ResourceGrant[] {
  const signedInPatient = auth.fhirUser?.startsWith('Patient/') ? auth.fhirUser.slice('Patient/'.length) : undefined;
  const grants: ResourceGrant[] = [];
  for (const scope of auth.smartScopes) {
    let patientId: string | undefined;
    if (scope.context === 'system') {
      if (auth.kind !== 'client') continue;
    } else {
      if (auth.kind !== 'user') continue;
      if (scope.context === 'patient') {
        patientId = signedInPatient ?? auth.patientId;
        if (!patientId) continue;
      } else {
        patientId = signedInPatient;
      }
    }
    const criteria = scope.query ? parseSearchRequest(`${scope.resourceType}?${scope.query}`) : undefined;
    grants.push({ scope: scope.raw, resourceType: scope.resourceType, permissions: scope.permissions, patientId, criteria });
  }
  return grants;
}

/** One filter OR-ing the values of single-parameter criteria that share a code; undefined otherwise. */
function mergeCriteria(criteria: SearchRequest[]): Filter | undefined {
  const filters = criteria.map((c) => c.filters ?? []);
  if (filters.some((f) => f.length !== 1)) return undefined;
  const [first] = filters[0];
  if (first.operator !== Operator.EQUALS) return undefined;
  if (filters.some(([f]) => f.code !== first.code || f.operator !== first.operator)) return undefined;
  return { code: first.code, operator: first.operator, value: [...new Set(filters.map(([f]) => f.value))].join(',') };
}

/** The resource types a filter reaches through a chain (every hop) or `_has`; empty for a plain parameter. */
function chainTargets(resourceType: string, code: string): string[] {
  if (code.startsWith('_has:')) {
    const type = code.split(':')[1];
    return type ? [type] : [];
  }
  const hops = code.split('.');
  const reached = new Set<string>();
  let from = [resourceType];
  for (const hop of hops.slice(0, -1)) {
    const [param, typeModifier] = hop.split(':');
    const next = new Set<string>();
    for (const type of from) {
      for (const target of typeModifier ? [typeModifier] : (getSearchParameter(type, param)?.target ?? [])) next.add(target);
    }
    next.forEach((t) => reached.add(t));
    from = [...next];
  }
  return [...reached];
}
