/**
 * Test fixture for the search tests: a fresh migrated database, resources written straight into
 * the `resource` table plus their index (what the repository does on each write), and search
 * through the public API with URLs parsed by the hub's own parser like the HTTP layer does.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { deleteSearchIndex, initSearchDefinitions, parseSearchQuery, searchBundle, writeSearchIndex } from '../src/search/index.ts';
import { createTestDatabase } from './support/test-database.ts';
import type { TestDatabase } from './support/test-database.ts';

export const BASE_URL = 'https://hub.test/';

export interface SearchFixture {
  db: TestDatabase;
  /** Stores a new resource (id generated when absent) and indexes it; returns its rid. */
  add(resource: Resource, lastUpdated?: string): Promise<string>;
  /** Stores a new version of an existing resource and re-indexes it. */
  update(resource: Resource): Promise<string>;
  /** Deletes the resource the way the repository does (row kept with deleted = true, index rows removed). */
  markDeleted(resourceType: string, id: string): Promise<void>;
  /** `Type?query` (or `?_type=...` for a system-level search); strict handling unless asked. */
  search(url: string, handling?: 'strict' | 'lenient'): Promise<Bundle>;
  /** Ids of the matches in result order. */
  ids(url: string): Promise<string[]>;
  drop(): Promise<void>;
}

export async function createSearchFixture(): Promise<SearchFixture> {
  initSearchDefinitions();
  const db = await createTestDatabase('simpul_search');
  const { sql } = db;

  const fixture: SearchFixture = {
    db,
    async add(resource, lastUpdated = new Date().toISOString()) {
      const stored = { ...resource, id: resource.id ?? randomUUID(), meta: { ...resource.meta, versionId: '1', lastUpdated } };
      const [{ rid }] = await sql`
        INSERT INTO resource (resource_type, id, version_id, version_seq, last_updated, content)
        VALUES (${stored.resourceType}, ${stored.id}, '1', 1, ${lastUpdated}, ${JSON.stringify(stored)})
        RETURNING rid`;
      await writeSearchIndex(sql, String(rid), stored);
      return String(rid);
    },
    async update(resource) {
      const [{ rid }] = await sql`
        UPDATE resource SET content = ${JSON.stringify(resource)}, version_seq = version_seq + 1,
          version_id = (version_seq + 1)::text, last_updated = now()
        WHERE resource_type = ${resource.resourceType} AND id = ${resource.id as string}
        RETURNING rid`;
      await writeSearchIndex(sql, String(rid), resource);
      return String(rid);
    },
    async markDeleted(resourceType, id) {
      const [{ rid }] = await sql`UPDATE resource SET deleted = true WHERE resource_type = ${resourceType} AND id = ${id} RETURNING rid`;
      await deleteSearchIndex(sql, String(rid));
    },
    async search(url, handling = 'strict') {
      return searchBundle(sql, parseUrl(url, handling), { baseUrl: BASE_URL });
    },
    async ids(url) {
      const bundle = await fixture.search(url);
      return (bundle.entry ?? []).map((e) => e.resource?.id as string);
    },
    drop: () => db.drop(),
  };
  return fixture;
}

/** Parses `Type?a=b&c=d` the way the HTTP layer parses a search. */
export function parseUrl(url: string, handling: 'strict' | 'lenient' = 'strict'): ReturnType<typeof parseSearchQuery> {
  const q = url.indexOf('?');
  const type = q < 0 ? url : url.slice(0, q);
  const pairs = [...new URLSearchParams(q < 0 ? '' : url.slice(q + 1))];
  return parseSearchQuery(type || undefined, pairs, { handling });
}

/** Sorted copy, for comparing match sets. */
export function sorted(ids: string[]): string[] {
  return [...ids].sort();
}
