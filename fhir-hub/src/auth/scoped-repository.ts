/**
 * The repository one request sees: PostgresRepository behind the token's AccessPolicy. FhirRouter
 * runs every REST interaction, every batch/transaction entry, every conditional write (built on these
 * primitives by the base class) and every GraphQL field through it, so enforcing here covers them all.
 *  - an interaction the scopes do not cover on a type: 403 (SIMPUL-AUTH-003), recorded as denied;
 *  - a resource outside the token's compartment or granular scope: 404 on reads, as if absent, so a
 *    patient token cannot even learn that another patient's record exists; 403 (SIMPUL-AUTH-004) for
 *    a write whose content would land outside the grant;
 *  - searches get the restriction as extra filters, and every returned entry is checked again in
 *    memory; _include/_revinclude are resolved here, through this repository, so included resources
 *    pass the same checks.
 * Writes (success or failure) and denials go to the request's audit trail.
 */
import { OperationOutcomeError, badRequest, gone, notFound, type Operation, type SearchRequest, type WithId } from '@medplum/core';
import {
  FhirRepository,
  getExtraEntries,
  type CreateResourceOptions,
  type DeleteResourceOptions,
  type ReadHistoryOptions,
  type RepositoryMode,
  type SearchOptions,
  type TransactionOptions,
  type UpdateResourceOptions,
} from '@medplum/fhir-router';
import type { Bundle, BundleEntry, Parameters, Reference, Resource, ResourceType } from '@medplum/fhirtypes';
import type { PostgresRepository } from '../repo/postgres-repository.ts';
import { parseReferenceString } from '../repo/resource-types.ts';
import type { AccessPolicy, Interaction } from './access-policy.ts';
import type { RequestAudit } from './audit-writer.ts';
import { AuthError, authError } from './auth-errors.ts';

/** What the HTTP layer needs from a repository: FhirRepository plus type/system history. */
export type HubRepository = FhirRepository & Pick<PostgresRepository, 'readTypeOrSystemHistory'>;

const OUTSIDE = "outside the token's patient compartment or granular scope";

export class ScopedRepository extends FhirRepository {
  private readonly inner: HubRepository;
  private readonly policy: AccessPolicy;
  private readonly audit: RequestAudit;
  private readonly fhirBase: string;

  constructor(inner: HubRepository, policy: AccessPolicy, audit: RequestAudit, fhirBase: string) {
    super();
    this.inner = inner;
    this.policy = policy;
    this.audit = audit;
    this.fhirBase = fhirBase;
  }

  setMode(mode: RepositoryMode): void {
    this.inner.setMode(mode);
  }

  generateId(): string {
    return this.inner.generateId();
  }

  async withTransaction<TResult>(callback: (txRepo: this) => Promise<TResult>, options?: TransactionOptions): Promise<TResult> {
    return this.inner.withTransaction(
      (tx) => callback(new ScopedRepository(tx as HubRepository, this.policy, this.audit, this.fhirBase) as this),
      options as TransactionOptions,
    );
  }

  async readResource<T extends Resource>(resourceType: string, id: string): Promise<WithId<T>> {
    this.allow(resourceType, 'read', id);
    const resource = await this.inner.readResource<T>(resourceType, id);
    return this.visible(resource, 'read');
  }

  async readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>> {
    const { resourceType, id } = parseReferenceString(reference.reference);
    return this.readResource<T>(resourceType, id);
  }

  async readReferences<T extends Resource>(references: readonly Reference<T>[]): Promise<(T | Error)[]> {
    return Promise.all(
      references.map((ref) => this.readReference(ref).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))),
    );
  }

  async readVersion<T extends Resource>(resourceType: string, id: string, vid: string): Promise<WithId<T>> {
    this.allow(resourceType, 'read', id);
    return this.visible(await this.inner.readVersion<T>(resourceType, id, vid), 'read');
  }

  async readHistory<T extends Resource>(resourceType: string, id: string, options?: ReadHistoryOptions): Promise<Bundle<WithId<T>>> {
    this.allow(resourceType, 'read', id);
    const bundle = await this.inner.readHistory<T>(resourceType, id, options);
    if (this.policy.isUnrestricted(resourceType, 'read')) return bundle;
    const entry = (bundle.entry ?? []).filter((e) => e.resource && this.policy.permits(e.resource, 'read'));
    if (entry.length === 0) this.invisible('read', resourceType, id);
    return { ...bundle, entry, total: undefined };
  }

  /** Type or system history lists everything of a type: only for tokens unrestricted on it. */
  async readTypeOrSystemHistory(resourceType: string | undefined, options: { since?: string; limit?: number; offset?: number }): Promise<Bundle> {
    const type = resourceType ?? '*';
    if (!this.policy.isUnrestricted(type, 'search')) {
      const text = `History of ${resourceType ?? 'all types'} needs an unrestricted ${resourceType ? `*/${resourceType}` : '*/*'} search scope`;
      this.audit.recordDenied(resourceType ? 'history-type' : 'history-system', resourceType, text);
      throw authError(AuthError.INSUFFICIENT_SCOPE, text);
    }
    return this.inner.readTypeOrSystemHistory(resourceType, options);
  }

  async search<T extends Resource>(searchRequest: SearchRequest<T>, options?: SearchOptions): Promise<Bundle<WithId<T>>> {
    const { include, revInclude, ...base } = searchRequest;
    const types = searchRequest.types?.length ? searchRequest.types : [searchRequest.resourceType];
    const plans = types.map((type) => this.planSearch(type, base.filters));
    if (types.length > 1 && plans.some((p) => p.kind !== 'unrestricted')) {
      const text = 'Searching several types at once needs unrestricted search scopes on each of them';
      this.audit.recordDenied('search-system', undefined, text);
      throw authError(AuthError.INSUFFICIENT_SCOPE, text);
    }
    const plan = plans[0];
    const restricted: SearchRequest<T> = plan.kind === 'unrestricted' ? base : { ...base, filters: [...(base.filters ?? []), ...plan.filters] };
    const subsetted = !!(searchRequest.summary || searchRequest.fields?.length);
    if (plan.kind === 'post-filter' && subsetted) {
      throw new OperationOutcomeError(badRequest('_summary and _elements cannot be combined with these granular scopes; search without them', '_summary'));
    }
    const bundle = await this.inner.search<T>(restricted, options);
    const entries = bundle.entry ?? [];
    // A subsetted resource may lack what the in-memory check reads; its restriction was applied in SQL.
    const recheck = !(plan.kind === 'filters' && subsetted);
    const kept = entries.filter(
      (e) => e.search?.mode === 'outcome' || (e.resource && (!recheck || this.policy.permits(e.resource, 'search'))),
    );
    const result: Bundle<WithId<T>> = { ...bundle, entry: kept };
    if (plan.kind === 'post-filter' || kept.length !== entries.length) delete result.total;
    const matches = kept.filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource as WithId<T>);
    if ((include?.length || revInclude?.length) && matches.length > 0) {
      // Resolved here, through this repository, so every included resource passes the same checks.
      await getExtraEntries(this, searchRequest, matches, result.entry as BundleEntry[], {
        fullUrl: (type, id) => `${this.fhirBase}/${type}/${id}`,
      });
    }
    return result;
  }

  async searchByReference<T extends Resource>(
    searchRequest: SearchRequest<T>,
    referenceField: string,
    references: string[],
  ): Promise<Record<string, WithId<T>[]>> {
    const plan = this.planSearch(searchRequest.resourceType, searchRequest.filters);
    const restricted = plan.kind === 'unrestricted' ? searchRequest : { ...searchRequest, filters: [...(searchRequest.filters ?? []), ...plan.filters] };
    const found = await this.inner.searchByReference<T>(restricted, referenceField, references);
    for (const key of Object.keys(found)) {
      found[key] = found[key].filter((r) => this.policy.permits(r, 'search'));
    }
    return found;
  }

  async createResource<T extends Resource>(resource: T, options?: CreateResourceOptions): Promise<WithId<T>> {
    this.allow(resource.resourceType, 'create');
    this.assertWritable(resource, 'create');
    return this.audited('create', resource.resourceType, () => this.inner.createResource(resource, options));
  }

  async updateResource<T extends Resource>(resource: T, options?: UpdateResourceOptions): Promise<WithId<T>> {
    const type = resource.resourceType;
    this.allow(type, 'update', resource.id);
    this.assertWritable(resource, 'update');
    const current = resource.id ? await this.currentVersion(type, resource.id) : undefined;
    if (current) {
      this.assertChangeable(current, 'update');
    } else {
      this.allow(type, 'create', resource.id);
      this.assertWritable(resource, 'create');
    }
    return this.audited('update', type, () => this.inner.updateResource(resource, options), resource.id);
  }

  async patchResource<T extends Resource>(
    resourceType: T['resourceType'],
    id: string,
    patch: Operation[] | Parameters,
    options?: UpdateResourceOptions,
  ): Promise<WithId<T>> {
    this.allow(resourceType, 'update', id);
    const current = await this.currentVersion(resourceType, id);
    if (current) this.assertChangeable(current, 'update');
    // The patched content is only known after applying it: check it before the transaction commits.
    return this.audited(
      'patch',
      resourceType,
      () =>
        this.inner.withTransaction(async (tx) => {
          const patched = await tx.patchResource<T>(resourceType, id, patch, options);
          this.assertWritable(patched, 'update');
          return patched;
        }, { resourceTypes: [resourceType as ResourceType] }),
      id,
    );
  }

  async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    this.allow(resourceType, 'delete', id);
    const current = await this.currentVersion(resourceType, id);
    if (current) this.assertChangeable(current, 'delete');
    await this.audited('delete', resourceType, () => this.inner.deleteResource(resourceType, id, options), id);
  }

  /** The interaction is allowed on the type at all; 403 and an audit record otherwise. */
  private allow(resourceType: string, interaction: Interaction, id?: string): void {
    try {
      this.policy.assertAllowed(resourceType, interaction);
    } catch (err) {
      this.audit.recordDenied(interaction, resourceType, (err as OperationOutcomeError).outcome?.issue?.[0]?.details?.text ?? 'denied', id);
      throw err;
    }
  }

  private planSearch(resourceType: string, filters: SearchRequest['filters']): ReturnType<AccessPolicy['searchPlan']> {
    try {
      this.policy.assertChainsAllowed(resourceType, filters);
      return this.policy.searchPlan(resourceType);
    } catch (err) {
      this.audit.recordDenied('search-type', resourceType, (err as OperationOutcomeError).outcome?.issue?.[0]?.details?.text ?? 'denied');
      throw err;
    }
  }

  private visible<T extends Resource>(resource: WithId<T>, interaction: Interaction): WithId<T> {
    if (!this.policy.permits(resource, interaction)) this.invisible(interaction, resource.resourceType, resource.id);
    return resource;
  }

  private invisible(interaction: string, resourceType: string, id: string): never {
    this.audit.recordDenied(interaction, resourceType, OUTSIDE, id);
    throw new OperationOutcomeError(notFound);
  }

  /** New content must fall inside a grant (e.g. a patient token writes only into its compartment). */
  private assertWritable(resource: Resource, interaction: 'create' | 'update'): void {
    if (!this.policy.permits(resource, interaction)) {
      const text = `The ${resource.resourceType} would be ${OUTSIDE}`;
      this.audit.recordDenied(interaction, resource.resourceType, text, resource.id);
      throw authError(AuthError.OUTSIDE_GRANT, text);
    }
  }

  /** The stored version must be changeable; one the token cannot even read answers 404. */
  private assertChangeable(current: Resource, interaction: 'update' | 'delete'): void {
    if (this.policy.permits(current, interaction)) return;
    if (!this.policy.permits(current, 'read')) this.invisible(interaction, current.resourceType, current.id as string);
    const text = `This ${current.resourceType} is ${OUTSIDE} for ${interaction}`;
    this.audit.recordDenied(interaction, current.resourceType, text, current.id);
    throw authError(AuthError.OUTSIDE_GRANT, text);
  }

  /** The current version, or undefined when it does not exist yet (or was deleted). */
  private async currentVersion(resourceType: string, id: string): Promise<Resource | undefined> {
    try {
      return await this.inner.readResource(resourceType, id);
    } catch (err) {
      const id_ = err instanceof OperationOutcomeError ? err.outcome.id : undefined;
      if (id_ === notFound.id || id_ === gone.id) return undefined;
      throw err;
    }
  }

  private async audited<R>(interaction: string, resourceType: string, write: () => Promise<R>, id?: string): Promise<R> {
    try {
      const result = await write();
      const writtenId = (result as Resource | undefined)?.id ?? id;
      this.audit.recordWrite(interaction, resourceType, writtenId, 'success');
      return result;
    } catch (err) {
      const text = err instanceof OperationOutcomeError ? err.outcome.issue?.[0]?.details?.text : (err as Error).message;
      this.audit.recordWrite(interaction, resourceType, id, 'failed', text);
      throw err;
    }
  }
}
