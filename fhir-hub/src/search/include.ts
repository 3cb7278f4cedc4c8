/**
 * _include and _revinclude (with :iterate and *) straight from the reference index: one statement
 * per include parameter and round, over the rids of the page. Canonical references (stored as a URL,
 * e.g. QuestionnaireResponse.questionnaire) are matched against the targets' `url`, ignoring a
 * `|version` suffix. Iteration stops when a round finds nothing new or after MAX_ROUNDS.
 */
import { getSearchParameters, globalSchema } from '@medplum/core';
import type { Queryable } from '../db/connect.ts';
import type { MatchRow } from './page-query.ts';
import { QueryParams } from './query-params.ts';
import type { IncludeSpec } from './search-query.ts';

/** Rounds of :iterate after the first (so a chain of 5 references in all). */
const MAX_ROUNDS = 4;
/** Included resources per include parameter and round; the rest is reported as truncated. */
export const MAX_INCLUDED_PER_PARAMETER = 1000;

export interface IncludeResult {
  rows: MatchRow[];
  /** True when some include hit MAX_INCLUDED_PER_PARAMETER. */
  truncated: boolean;
}

export async function findIncluded(
  db: Queryable,
  matches: MatchRow[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
): Promise<IncludeResult> {
  const seen = new Set(matches.map((m) => `${m.resource_type}/${m.id}`));
  const found: MatchRow[] = [];
  let truncated = false;
  let base = matches;
  for (let round = 0; round <= MAX_ROUNDS && base.length > 0; round++) {
    const active = (specs: IncludeSpec[]): IncludeSpec[] => (round === 0 ? specs : specs.filter((s) => s.iterate));
    const batches = await Promise.all([
      ...active(include).map((spec) => forwardInclude(db, base, spec)),
      ...active(revinclude).map((spec) => reverseInclude(db, base, spec)),
    ]);
    const next: MatchRow[] = [];
    for (const rows of batches) {
      truncated ||= rows.length > MAX_INCLUDED_PER_PARAMETER;
      for (const row of rows.slice(0, MAX_INCLUDED_PER_PARAMETER)) {
        const key = `${row.resource_type}/${row.id}`;
        if (!seen.has(key)) {
          seen.add(key);
          found.push(row);
          next.push(row);
        }
      }
    }
    base = next;
  }
  return { rows: found, truncated };
}

const SELECT_TARGET = 'SELECT t.rid::text AS rid, t.resource_type, t.id, t.content FROM resource t';

/** The resources the base rows reference through the parameter. */
async function forwardInclude(db: Queryable, base: MatchRow[], spec: IncludeSpec): Promise<MatchRow[]> {
  const sources = spec.sourceType === '*' ? base : base.filter((b) => b.resource_type === spec.sourceType);
  if (sources.length === 0) return [];
  const params = new QueryParams();
  const rids = params.add(sources.map((s) => s.rid));
  const refConditions = [`x.rid = ANY(${rids}::bigint[])`];
  if (spec.code !== '*') refConditions.push(`x.code = ${params.add(spec.code)}`);
  const targetType = spec.targetType ? params.add(spec.targetType) : undefined;
  const literal =
    `(t.resource_type, t.id) IN (SELECT x.target_type, x.target_id FROM sp_reference x WHERE ${refConditions.join(' AND ')}` +
    ` AND x.target_id IS NOT NULL${targetType ? ` AND x.target_type = ${targetType}` : ''})`;
  const canonicalTypes = spec.targetType ? [spec.targetType] : canonicalTargets(spec);
  const canonical =
    canonicalTypes.length === 0
      ? 'FALSE'
      : `t.rid IN (SELECT u.rid FROM sp_reference x JOIN sp_uri u ON u.resource_type = ANY(${params.add(canonicalTypes)}::text[])` +
        ` AND u.code = 'url' AND u.value = split_part(x.target_url, '|', 1)` +
        ` WHERE ${refConditions.join(' AND ')} AND x.target_url IS NOT NULL)`;
  const sql = `${SELECT_TARGET} WHERE NOT t.deleted AND (${literal} OR ${canonical}) LIMIT ${params.add(MAX_INCLUDED_PER_PARAMETER + 1)}`;
  return db.unsafe<MatchRow[]>(sql, params.values as never[], { prepare: true });
}

/** The resources of spec.sourceType that point at the base rows through the parameter. */
async function reverseInclude(db: Queryable, base: MatchRow[], spec: IncludeSpec): Promise<MatchRow[]> {
  const targets = spec.targetType ? base.filter((b) => b.resource_type === spec.targetType) : base;
  if (targets.length === 0) return [];
  const params = new QueryParams();
  const codes = spec.code === '*' ? referenceCodes(spec.sourceType) : [spec.code];
  if (codes.length === 0) return [];
  const codeList = params.add(codes);
  const types = params.add(targets.map((t) => t.resource_type));
  const ids = params.add(targets.map((t) => t.id));
  const sourceCondition = spec.sourceType === '*' ? '' : ` AND x.resource_type = ${params.add(spec.sourceType)}`;
  const literal =
    `SELECT x.rid FROM unnest(${types}::text[], ${ids}::text[]) AS b (type, id)` +
    ` JOIN sp_reference x ON x.code = ANY(${codeList}::text[]) AND x.target_id = b.id AND x.target_type = b.type${sourceCondition}`;
  const canonical =
    `SELECT x.rid FROM sp_uri u JOIN sp_reference x ON x.code = ANY(${codeList}::text[])${sourceCondition}` +
    ` AND x.target_url IS NOT NULL AND (x.target_url = u.value OR starts_with(x.target_url, u.value || '|'))` +
    ` WHERE u.rid = ANY(${params.add(targets.map((t) => t.rid))}::bigint[]) AND u.code = 'url'`;
  const sql =
    `${SELECT_TARGET} WHERE NOT t.deleted AND t.rid IN (${literal} UNION ${canonical})` +
    ` LIMIT ${params.add(MAX_INCLUDED_PER_PARAMETER + 1)}`;
  return db.unsafe<MatchRow[]>(sql, params.values as never[], { prepare: true });
}

/** Types a canonical reference of the parameter may point at (none for `*`). */
function canonicalTargets(spec: IncludeSpec): string[] {
  if (spec.code === '*' || spec.sourceType === '*') return [];
  return (getSearchParameters(spec.sourceType)?.[spec.code]?.target ?? []) as string[];
}

const referenceCodeCache = new Map<string, string[]>();

/** Every reference parameter code of a type ('*': of all types), for `_revinclude=Type:*` / `*`. */
function referenceCodes(sourceType: string): string[] {
  let codes = referenceCodeCache.get(sourceType);
  if (!codes) {
    const types = sourceType === '*' ? Object.keys(globalSchema.types) : [sourceType];
    const set = new Set<string>();
    for (const type of types) {
      for (const definition of Object.values(getSearchParameters(type) ?? {})) {
        if (definition.type === 'reference' && definition.code) set.add(definition.code);
      }
    }
    codes = [...set];
    referenceCodeCache.set(sourceType, codes);
  }
  return codes;
}

/** Forgets cached reference codes (after a SearchParameter was added at run time). */
export function invalidateIncludeCodes(): void {
  referenceCodeCache.clear();
}
