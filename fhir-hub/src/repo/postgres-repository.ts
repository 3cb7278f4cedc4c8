import { randomUUID } from 'node:crypto';
import {
  OperationOutcomeError,
  gone,
  notFound,
  preconditionFailed,
  type Operation,
  type SearchRequest,
  type WithId,
} from '@medplum/core';
import {
  FhirRepository,
  type CreateResourceOptions,
  type DeleteResourceOptions,
  type ReadHistoryOptions,
  type RepositoryMode,
  type SearchOptions,
  type TransactionOptions,
  type UpdateResourceOptions,
} from '@medplum/fhir-router';
import type { Binary, Bundle, Parameters, Reference, Resource } from '@medplum/fhirtypes';
import type { BlobStore } from '../binary/blob-store.ts';
import { storeBinaryData } from '../binary/binary-content.ts';
import type { Queryable, Sql, TxSql } from '../db/connect.ts';
import { HubError, hubError } from '../errors.ts';
import { deleteSearchIndex, searchBundle, writeSearchIndex } from '../search/index.ts';
import { isValidFhirId } from '../validation/index.ts';
import { buildHistoryBundle, type HistoryRow } from './history.ts';
import { applyPatchOperations } from './patch.ts';
import { assertKnownResourceType, parseReferenceString } from './resource-types.ts';
import { runInTransaction } from './transaction.ts';
import type { WriteEvent, WriteListener } from './write-events.ts';

export interface RepositoryContext {
  /** Public base URL of the hub, ending in `/`; used for fullUrl and paging links. */
  baseUrl: string;
  /** Validates a resource before it is stored; throws OperationOutcomeError. */
  validate: (resource: Resource) => void;
  /** Type-specific rules applied before validation (e.g. Subscription criteria check and activation). */
  transforms?: ((resource: Resource) => Resource)[];
  /** Called inside the write transaction for every change (outbox, audit). */
  writeListeners: WriteListener[];
  /** Where Binary bytes go; without it Binary.data stays inline in the JSON. */
  blobs?: BlobStore;
}

type StampedResource<T extends Resource> = WithId<T> & { meta: { versionId: string; lastUpdated: string } };

interface CurrentRow {
  rid: string;
  version_id: string;
  version_seq: number;
  deleted: boolean;
  content: string;
}

/**
 * FHIR repository on PostgreSQL. `resource` holds the current version, `resource_history` every
 * version; each write updates both plus the search index in one database transaction.
 * An instance bound to a transaction (`txRepo`) is made by withTransaction.
 */
export class PostgresRepository extends FhirRepository {
  private readonly db: Queryable;
  private readonly pool: Sql;
  private readonly context: RepositoryContext;
  private readonly inTransaction: boolean;

  constructor(pool: Sql, context: RepositoryContext, tx?: TxSql) {
    super();
    this.pool = pool;
    this.db = tx ?? pool;
    this.context = context;
    this.inTransaction = tx !== undefined;
  }

  setMode(_mode: RepositoryMode): void {
    // One database for reads and writes for now; read replicas would be chosen here.
  }

  generateId(): string {
    return randomUUID();
  }

  async withTransaction<TResult>(
    callback: (txRepo: this) => Promise<TResult>,
    options?: TransactionOptions,
  ): Promise<TResult> {
    if (this.inTransaction) {
      return callback(this);
    }
    return runInTransaction(this.pool, { serializable: options?.serializable ?? false }, (tx) =>
      callback(new PostgresRepository(this.pool, this.context, tx) as this),
    );
  }

  async createResource<T extends Resource>(resource: T, options?: CreateResourceOptions): Promise<WithId<T>> {
    assertKnownResourceType(resource.resourceType);
    const id = options?.assignedId && resource.id ? resource.id : this.generateId();
    return this.withTransaction(async (txRepo) => {
      const created = await txRepo.insertNew({ ...resource, id } as WithId<T>);
      if (!created) {
        throw hubError(HubError.ID_IN_USE, `${resource.resourceType}/${id} already exists`, `${resource.resourceType}.id`);
      }
      return created;
    });
  }

  async updateResource<T extends Resource>(resource: T, options?: UpdateResourceOptions): Promise<WithId<T>> {
    assertKnownResourceType(resource.resourceType);
    if (!resource.id) {
      throw hubError(HubError.INVALID_ID, 'Update needs the resource id', `${resource.resourceType}.id`);
    }
    assertValidId(resource.resourceType, resource.id);
    return this.withTransaction(async (txRepo) => txRepo.updateInTransaction(resource as WithId<T>, options));
  }

  private async updateInTransaction<T extends Resource>(
    resource: WithId<T>,
    options?: UpdateResourceOptions,
  ): Promise<WithId<T>> {
    const current = await this.lockCurrent(resource.resourceType, resource.id);
    if (!current) {
      if (options?.ifMatch) {
        throw new OperationOutcomeError(notFound);
      }
      // Update as create: FHIR lets the client choose the id with PUT.
      const created = await this.insertNew(resource);
      if (created) return created;
      // A concurrent writer created it between our lock attempt and insert: retry as an update.
      return this.updateInTransaction(resource, options);
    }
    if (options?.ifMatch && options.ifMatch !== current.version_id) {
      throw new OperationOutcomeError(preconditionFailed);
    }
    if (!current.deleted && sameContent(JSON.parse(current.content), resource)) {
      return JSON.parse(current.content) as WithId<T>;
    }
    const previous = current.deleted ? undefined : (JSON.parse(current.content) as Resource);
    const stored = await this.prepare(this.stamp(resource));
    const content = JSON.stringify(stored);
    const seq = current.version_seq + 1;
    // Independent statements of one transaction: issued together, postgres.js pipelines them.
    await Promise.all([
      this.db`
        UPDATE resource SET version_id = ${stored.meta.versionId}, version_seq = ${seq},
          last_updated = ${stored.meta.lastUpdated}, deleted = false, content = ${content}
        WHERE rid = ${current.rid}`,
      this.insertHistory(stored, seq, false, content),
      writeSearchIndex(this.db, current.rid, stored),
    ]);
    // Listeners may search (subscription criteria), so they run once the index is written.
    await this.emit({ interaction: 'update', resource: stored, previous });
    return stored;
  }

  /** Inserts version 1 of a resource; undefined when (type, id) already exists. */
  private async insertNew<T extends Resource>(resource: WithId<T>): Promise<WithId<T> | undefined> {
    assertValidId(resource.resourceType, resource.id);
    const stored = await this.prepare(this.stamp(resource));
    const content = JSON.stringify(stored);
    const rows = await this.db<{ rid: string }[]>`
      INSERT INTO resource (resource_type, id, version_id, version_seq, last_updated, content)
      VALUES (${stored.resourceType}, ${stored.id}, ${stored.meta.versionId}, 1, ${stored.meta.lastUpdated}, ${content})
      ON CONFLICT (resource_type, id) DO NOTHING
      RETURNING rid`;
    if (rows.length === 0) return undefined;
    await Promise.all([
      this.insertHistory(stored, 1, false, content),
      writeSearchIndex(this.db, rows[0].rid, stored),
    ]);
    await this.emit({ interaction: 'create', resource: stored });
    return stored;
  }

  async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    assertKnownResourceType(resourceType);
    assertValidId(resourceType, id);
    await this.withTransaction(async (txRepo) => {
      const current = await txRepo.lockCurrent(resourceType, id);
      if (!current) throw new OperationOutcomeError(notFound);
      if (options?.ifMatch && options.ifMatch !== current.version_id) {
        throw new OperationOutcomeError(preconditionFailed);
      }
      if (current.deleted) return;
      const last = JSON.parse(current.content) as WithId<Resource>;
      const versionId = randomUUID();
      const lastUpdated = new Date().toISOString();
      const seq = current.version_seq + 1;
      await txRepo.db`
        UPDATE resource SET version_id = ${versionId}, version_seq = ${seq}, last_updated = ${lastUpdated}, deleted = true
        WHERE rid = ${current.rid}`;
      await txRepo.db`
        INSERT INTO resource_history (resource_type, id, version_id, version_seq, last_updated, deleted, content)
        VALUES (${resourceType}, ${id}, ${versionId}, ${seq}, ${lastUpdated}, true, ${current.content})`;
      await deleteSearchIndex(txRepo.db, current.rid);
      await txRepo.emit({ interaction: 'delete', resource: last, previous: last, versionId, lastUpdated });
    });
  }

  async patchResource<T extends Resource>(
    resourceType: T['resourceType'],
    id: string,
    patch: Operation[] | Parameters,
    options?: UpdateResourceOptions,
  ): Promise<WithId<T>> {
    return this.withTransaction(async (txRepo) => {
      const current = await txRepo.lockCurrent(resourceType, id);
      if (!current) throw new OperationOutcomeError(notFound);
      if (current.deleted) throw new OperationOutcomeError(gone);
      if (options?.ifMatch && options.ifMatch !== current.version_id) {
        throw new OperationOutcomeError(preconditionFailed);
      }
      const patched = applyPatchOperations(JSON.parse(current.content) as Resource, patch);
      if (patched.resourceType !== resourceType || patched.id !== id) {
        throw hubError(HubError.WRONG_RESOURCE_TYPE, 'A patch may not change resourceType or id', resourceType);
      }
      return txRepo.updateInTransaction(patched as WithId<T>, { ifMatch: current.version_id });
    });
  }

  async readResource<T extends Resource>(resourceType: string, id: string): Promise<WithId<T>> {
    assertKnownResourceType(resourceType);
    if (!isValidFhirId(id)) throw new OperationOutcomeError(notFound);
    const rows = await this.db<{ deleted: boolean; content: string }[]>`
      SELECT deleted, content FROM resource WHERE resource_type = ${resourceType} AND id = ${id}`;
    if (rows.length === 0) throw new OperationOutcomeError(notFound);
    if (rows[0].deleted) throw new OperationOutcomeError(gone);
    return JSON.parse(rows[0].content) as WithId<T>;
  }

  async readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>> {
    const parsed = parseReferenceString(reference.reference);
    return this.readResource<T>(parsed.resourceType, parsed.id);
  }

  async readReferences<T extends Resource>(references: readonly Reference<T>[]): Promise<(T | Error)[]> {
    return Promise.all(
      references.map((ref) =>
        this.readReference(ref).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
      ),
    );
  }

  async readVersion<T extends Resource>(resourceType: string, id: string, vid: string): Promise<WithId<T>> {
    assertKnownResourceType(resourceType);
    if (!isValidFhirId(id)) throw new OperationOutcomeError(notFound);
    const rows = await this.db<{ deleted: boolean; content: string }[]>`
      SELECT deleted, content FROM resource_history
      WHERE resource_type = ${resourceType} AND id = ${id} AND version_id = ${vid}`;
    if (rows.length === 0) throw new OperationOutcomeError(notFound);
    if (rows[0].deleted) throw new OperationOutcomeError(gone);
    return JSON.parse(rows[0].content) as WithId<T>;
  }

  async readHistory<T extends Resource>(
    resourceType: string,
    id: string,
    options?: ReadHistoryOptions,
  ): Promise<Bundle<WithId<T>>> {
    assertKnownResourceType(resourceType);
    if (!isValidFhirId(id)) throw new OperationOutcomeError(notFound);
    const limit = clampCount(options?.limit);
    const offset = Math.max(0, options?.offset ?? 0);
    const rows = await this.db<HistoryRow[]>`
      SELECT resource_type, id, version_id, last_updated, deleted, content, count(*) OVER () AS total
      FROM resource_history WHERE resource_type = ${resourceType} AND id = ${id}
      ORDER BY version_seq DESC LIMIT ${limit} OFFSET ${offset}`;
    if (rows.length === 0 && offset === 0) throw new OperationOutcomeError(notFound);
    return buildHistoryBundle(rows, {
      baseUrl: this.context.baseUrl,
      selfPath: `${resourceType}/${id}/_history`,
      limit,
      offset,
    }) as Bundle<WithId<T>>;
  }

  /** Type-level (`resourceType` given) or system-level history, newest first. */
  async readTypeOrSystemHistory(
    resourceType: string | undefined,
    options: { since?: string; limit?: number; offset?: number },
  ): Promise<Bundle> {
    if (resourceType) assertKnownResourceType(resourceType);
    const limit = clampCount(options.limit);
    const offset = Math.max(0, options.offset ?? 0);
    const since = options.since ? new Date(options.since) : undefined;
    if (since && Number.isNaN(since.getTime())) {
      throw hubError(HubError.INVALID_ID, `_since must be an instant, found "${options.since}"`, '_since');
    }
    const rows = await this.db<HistoryRow[]>`
      SELECT resource_type, id, version_id, last_updated, deleted, content, count(*) OVER () AS total
      FROM resource_history
      WHERE ${resourceType ? this.db`resource_type = ${resourceType}` : this.db`true`}
        AND ${since ? this.db`last_updated >= ${since}` : this.db`true`}
      ORDER BY last_updated DESC, resource_type, id, version_seq DESC
      LIMIT ${limit} OFFSET ${offset}`;
    return buildHistoryBundle(rows, {
      baseUrl: this.context.baseUrl,
      selfPath: resourceType ? `${resourceType}/_history` : '_history',
      limit,
      offset,
      extraQuery: options.since ? `_since=${encodeURIComponent(options.since)}` : undefined,
    });
  }

  async search<T extends Resource>(searchRequest: SearchRequest<T>, options?: SearchOptions): Promise<Bundle<WithId<T>>> {
    for (const type of searchRequest.types ?? [searchRequest.resourceType]) {
      assertKnownResourceType(type);
    }
    // The search engine also resolves _include/_revinclude (from the reference index, with :iterate and *).
    const bundle = await searchBundle<T>(this.db, searchRequest, { baseUrl: this.context.baseUrl });
    if (options?.resourceOnly) {
      delete bundle.link;
    }
    return bundle;
  }

  async searchByReference<T extends Resource>(
    searchRequest: SearchRequest<T>,
    referenceField: string,
    references: string[],
  ): Promise<Record<string, WithId<T>[]>> {
    const result: Record<string, WithId<T>[]> = {};
    await Promise.all(
      references.map(async (reference) => {
        result[reference] = await this.searchResources<T>({
          ...searchRequest,
          filters: [...(searchRequest.filters ?? []), { code: referenceField, operator: 'eq' as never, value: reference }],
        });
      }),
    );
    return result;
  }

  private async lockCurrent(resourceType: string, id: string): Promise<CurrentRow | undefined> {
    const rows = await this.db<CurrentRow[]>`
      SELECT rid, version_id, version_seq, deleted, content FROM resource
      WHERE resource_type = ${resourceType} AND id = ${id} FOR UPDATE`;
    return rows[0];
  }

  private async insertHistory(stored: WithId<Resource>, seq: number, deleted: boolean, content: string): Promise<void> {
    await this.db`
      INSERT INTO resource_history (resource_type, id, version_id, version_seq, last_updated, deleted, content)
      VALUES (${stored.resourceType}, ${stored.id}, ${stored.meta?.versionId as string}, ${seq},
        ${stored.meta?.lastUpdated as string}, ${deleted}, ${content})`;
  }

  /** A copy of the resource with a fresh version id and lastUpdated. */
  private stamp<T extends Resource>(resource: WithId<T>): StampedResource<T> {
    return {
      ...resource,
      meta: { ...resource.meta, versionId: randomUUID(), lastUpdated: new Date().toISOString() },
    } as StampedResource<T>;
  }

  /** Validates a stamped version and, for Binary, moves its bytes to the blob store. */
  private async prepare<T extends Resource>(stamped: StampedResource<T>): Promise<StampedResource<T>> {
    let stored = stamped;
    for (const transform of this.context.transforms ?? []) {
      stored = transform(stored) as StampedResource<T>;
    }
    this.context.validate(stored);
    if (stored.resourceType === 'Binary' && this.context.blobs) {
      return (await storeBinaryData(this.context.blobs, stored as StampedResource<Binary>)) as unknown as StampedResource<T>;
    }
    return stored;
  }

  private async emit(event: Omit<WriteEvent, 'db'>): Promise<void> {
    for (const listener of this.context.writeListeners) {
      await listener({ ...event, db: this.db });
    }
  }
}

function assertValidId(resourceType: string, id: string): void {
  if (!isValidFhirId(id)) {
    throw hubError(
      HubError.INVALID_ID,
      `"${id.slice(0, 80)}" is not a valid FHIR id (1-64 of A-Z a-z 0-9 - .)`,
      `${resourceType}.id`,
    );
  }
}

function clampCount(count: number | undefined): number {
  if (count === undefined || Number.isNaN(count)) return 100;
  return Math.min(Math.max(count, 0), 1000);
}

/** True when two versions differ only in meta.versionId / meta.lastUpdated. */
function sameContent(a: Resource, b: Resource): boolean {
  const strip = (r: Resource): string => {
    const { meta, ...rest } = r;
    const { versionId: _v, lastUpdated: _l, ...metaRest } = meta ?? {};
    return JSON.stringify({ ...rest, meta: metaRest });
  };
  return strip(a) === strip(b);
}
