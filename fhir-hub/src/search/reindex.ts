/**
 * Re-computes the search index of stored resources (after a SearchParameter was added, or an index
 * rule changed): in rid order, in batches, each batch one transaction and one index statement
 * (writeSearchIndexBatch). Safe to stop and run again: a batch either replaced a row's index or did
 * not, and live writes keep indexing themselves meanwhile.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import { assertSearchableType, initSearchDefinitions } from './definitions.ts';
import { SearchParameterRegistry } from './search-parameter-registry.ts';
import { writeSearchIndexBatch } from './write-index.ts';

export interface ReindexProgress {
  done: number;
  total: number;
}

export interface ReindexOptions {
  /** Only this type; every type when absent. */
  resourceType?: string;
  batchSize?: number;
  logger: Logger;
  onProgress?: (progress: ReindexProgress) => void;
}

/** Loads the stored SearchParameters, then re-indexes; returns the number of resources indexed. */
export async function reindexSearch(sql: Sql, options: ReindexOptions): Promise<number> {
  initSearchDefinitions();
  if (options.resourceType) assertSearchableType(options.resourceType);
  await new SearchParameterRegistry(sql, options.logger).reload();
  const type = options.resourceType ?? null;
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, 5000));
  const [{ total }] = await sql<{ total: number }[]>`
    SELECT count(*)::int AS total FROM resource WHERE NOT deleted AND (${type}::text IS NULL OR resource_type = ${type})`;
  let done = 0;
  let after = '0';
  options.onProgress?.({ done, total });
  for (;;) {
    // ORDER BY the column, not the text alias of the same name (which would sort as text).
    const rows = await sql<{ rid: string; content: string }[]>`
      SELECT r.rid::text AS rid, r.content FROM resource r
      WHERE NOT r.deleted AND r.rid > ${after}::bigint AND (${type}::text IS NULL OR r.resource_type = ${type})
      ORDER BY r.rid LIMIT ${batchSize}`;
    if (rows.length === 0) break;
    const items = rows.map((row) => ({ rid: row.rid, resource: JSON.parse(row.content) as Resource }));
    await sql.begin((tx) => writeSearchIndexBatch(tx, items));
    done += rows.length;
    after = rows[rows.length - 1].rid;
    options.onProgress?.({ done, total: Math.max(total, done) });
  }
  return done;
}
