import type { Patient } from '@medplum/fhirtypes';
import type { IdentityConfig } from '@simpul/infra';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import type { IdentityMatcher } from './identity-matcher.ts';
import { writeBlockingKeys } from './identity-store.ts';
import { blockingKeys, patientFeatures } from './patient-features.ts';

export interface RebuildProgress {
  phase: 'index' | 'match';
  done: number;
  total: number;
}

export interface RebuildResult {
  indexed: number;
  matched: number;
  linked: number;
  reviews: number;
}

const BATCH = 500;

/**
 * `simpul identity rebuild`: after a rule change, recompute every live Patient's features and
 * blocking keys (phase `index`, batched, set-based SQL), then run matching for each (phase `match`).
 * It adds links and review Tasks under the new rules; it never removes an existing link, merge or
 * decision (undoing those is a person's call: `$unmerge`, editing the link).
 */
export async function rebuildIdentity(
  sql: Sql,
  matcher: IdentityMatcher,
  config: IdentityConfig,
  logger: Logger,
  onProgress?: (progress: RebuildProgress) => void,
): Promise<RebuildResult> {
  const [{ total }] = await sql<{ total: number }[]>`
    SELECT count(*)::int AS total FROM resource WHERE resource_type = 'Patient' AND NOT deleted`;
  let lastRid = '0';
  let indexed = 0;
  const live: string[] = [];
  for (;;) {
    const rows = await sql<{ rid: string; id: string; content: string }[]>`
      SELECT r.rid::text AS rid, r.id, r.content FROM resource r
      WHERE r.resource_type = 'Patient' AND NOT r.deleted AND r.rid > ${lastRid}::bigint
      ORDER BY r.rid LIMIT ${BATCH}`;
    if (rows.length === 0) break;
    lastRid = rows[rows.length - 1].rid;
    await indexBatch(sql, rows.map((r) => JSON.parse(r.content) as Patient), config, live);
    indexed += rows.length;
    onProgress?.({ phase: 'index', done: indexed, total });
  }
  let matched = 0;
  let linked = 0;
  let reviews = 0;
  for (const id of live) {
    const outcome = await matcher.matchStored(id, 'rebuild');
    if (outcome.action === 'link') linked++;
    if (outcome.action === 'review') reviews += outcome.candidates.length;
    matched++;
    if (matched % 100 === 0 || matched === live.length) onProgress?.({ phase: 'match', done: matched, total: live.length });
  }
  logger.info({ indexed, matched, linked, reviews }, 'identity rebuilt');
  return { indexed, matched, linked, reviews };
}

/** Saves features and blocking keys of a batch of Patients in one transaction (set-based SQL); `live` gets the ids of unmerged ones. */
export async function indexBatch(sql: Sql, patients: Patient[], config: IdentityConfig, live: string[]): Promise<void> {
  const merged = patients.filter((p) => p.link?.some((l) => l.type === 'replaced-by')).map((p) => p.id as string);
  const current = patients.filter((p) => !merged.includes(p.id as string));
  const features = current.map((p) => patientFeatures(p, config));
  const golden = current.map((p) => p.link?.find((l) => l.type === 'refer')?.other?.reference?.replace(/^.*Patient\//, '') ?? null);
  await sql.begin(async (tx) => {
    if (merged.length > 0) {
      await tx`DELETE FROM identity_block WHERE patient_id = ANY(${merged})`;
      await tx`DELETE FROM identity_patient WHERE patient_id = ANY(${merged})`;
    }
    if (current.length === 0) return;
    await tx`
      INSERT INTO identity_patient (patient_id, features, golden_id)
      SELECT id, f::jsonb, g FROM unnest(${current.map((p) => p.id as string)}::text[], ${features.map((f) => JSON.stringify(f))}::text[], ${golden as string[]}::text[]) AS t(id, f, g)
      ON CONFLICT (patient_id) DO UPDATE SET features = EXCLUDED.features, golden_id = EXCLUDED.golden_id, updated_at = now()`;
    await writeBlockingKeys(tx, current.map((p, i) => ({ patientId: p.id as string, keys: blockingKeys(features[i]) })));
  });
  live.push(...current.map((p) => p.id as string));
}
