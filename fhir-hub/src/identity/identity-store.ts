import type { Queryable } from '../db/connect.ts';
import { blockingKeys, type PatientFeatures } from './patient-features.ts';

/** SQL of the identity tables (migration 008). Every function takes the pool or a transaction. */

export interface StoredCandidate {
  patientId: string;
  features: PatientFeatures;
  goldenId: string | null;
}

/** Replaces a patient's features and blocking keys; false when the features were already these. */
export async function saveFeatures(db: Queryable, patientId: string, features: PatientFeatures): Promise<boolean> {
  const json = JSON.stringify(features);
  const rows = await db<{ changed: boolean }[]>`
    INSERT INTO identity_patient (patient_id, features) VALUES (${patientId}, ${json}::text::jsonb)
    ON CONFLICT (patient_id) DO UPDATE SET features = EXCLUDED.features, updated_at = now()
      WHERE identity_patient.features IS DISTINCT FROM EXCLUDED.features
    RETURNING true AS changed`;
  if (rows.length === 0) return false;
  await writeBlockingKeys(db, [{ patientId, keys: blockingKeys(features) }]);
  return true;
}

export async function writeBlockingKeys(db: Queryable, rows: { patientId: string; keys: string[] }[]): Promise<void> {
  if (rows.length === 0) return;
  const ids = rows.map((r) => r.patientId);
  await db`DELETE FROM identity_block WHERE patient_id = ANY(${ids})`;
  const keys = rows.flatMap((r) => r.keys.map((key) => key));
  const owners = rows.flatMap((r) => r.keys.map(() => r.patientId));
  if (keys.length === 0) return;
  await db`
    INSERT INTO identity_block (block_key, patient_id)
    SELECT * FROM unnest(${keys}::text[], ${owners}::text[]) ON CONFLICT DO NOTHING`;
}

/** A merged-away or deleted Patient is no candidate for anyone. */
export async function forgetPatient(db: Queryable, patientId: string): Promise<void> {
  await db`DELETE FROM identity_block WHERE patient_id = ${patientId}`;
  await db`DELETE FROM identity_patient WHERE patient_id = ${patientId}`;
}

/**
 * Patients sharing a blocking key with `keys`, at most `perKey` per key (a very common name must not
 * make one incoming record read thousands), with their features.
 */
export async function findCandidates(db: Queryable, keys: string[], exclude: string[], perKey: number): Promise<StoredCandidate[]> {
  if (keys.length === 0) return [];
  const rows = await db<{ patient_id: string; features: PatientFeatures; golden_id: string | null }[]>`
    SELECT p.patient_id, p.features, p.golden_id
    FROM (
      SELECT DISTINCT b.patient_id
      FROM unnest(${keys}::text[]) AS k(block_key)
      CROSS JOIN LATERAL (
        SELECT patient_id FROM identity_block WHERE block_key = k.block_key LIMIT ${perKey}
      ) b
    ) c
    JOIN identity_patient p ON p.patient_id = c.patient_id
    WHERE NOT (p.patient_id = ANY(${exclude}))`;
  return rows.map((r) => ({ patientId: r.patient_id, features: r.features, goldenId: r.golden_id }));
}

export async function readFeatures(db: Queryable, patientId: string): Promise<StoredCandidate | undefined> {
  const rows = await db<{ patient_id: string; features: PatientFeatures; golden_id: string | null }[]>`
    SELECT patient_id, features, golden_id FROM identity_patient WHERE patient_id = ${patientId}`;
  return rows[0] && { patientId: rows[0].patient_id, features: rows[0].features, goldenId: rows[0].golden_id };
}

export async function setGolden(db: Queryable, patientId: string, goldenId: string | null): Promise<void> {
  await db`UPDATE identity_patient SET golden_id = ${goldenId} WHERE patient_id = ${patientId}`;
}

export type JobKind = 'match' | 'decision' | 'audit';

export async function enqueueJob(db: Queryable, kind: JobKind, ref: string, payload: Record<string, unknown> = {}): Promise<void> {
  await db`INSERT INTO identity_job (kind, ref, payload) VALUES (${kind}, ${ref}, ${JSON.stringify(payload)}::text::jsonb)`;
}

export interface MergeRow {
  id: string;
  source_id: string;
  target_id: string;
  source_before: Record<string, unknown> | null;
  target_before: Record<string, unknown> | null;
  origin: string;
  merged_at: Date;
  unmerged_at: Date | null;
}

/** Records one side of a merge; the other side's write fills the other half of the same row. */
export async function recordMergeSide(
  db: Queryable,
  side: 'source' | 'target',
  sourceId: string,
  targetId: string,
  before: unknown,
  origin: string,
): Promise<void> {
  const json = before === undefined ? null : JSON.stringify(before);
  if (side === 'source') {
    await db`
      INSERT INTO identity_merge (source_id, target_id, source_before, origin) VALUES (${sourceId}, ${targetId}, ${json}::text::jsonb, ${origin})
      ON CONFLICT (source_id) WHERE unmerged_at IS NULL
      DO UPDATE SET source_before = COALESCE(identity_merge.source_before, EXCLUDED.source_before), target_id = EXCLUDED.target_id`;
  } else {
    await db`
      INSERT INTO identity_merge (source_id, target_id, target_before, origin) VALUES (${sourceId}, ${targetId}, ${json}::text::jsonb, ${origin})
      ON CONFLICT (source_id) WHERE unmerged_at IS NULL
      DO UPDATE SET target_before = COALESCE(identity_merge.target_before, EXCLUDED.target_before)`;
  }
}

export async function activeMergeOf(db: Queryable, sourceId: string): Promise<MergeRow | undefined> {
  const rows = await db<MergeRow[]>`
    SELECT id::text, source_id, target_id, source_before, target_before, origin, merged_at, unmerged_at
    FROM identity_merge WHERE source_id = ${sourceId} AND unmerged_at IS NULL`;
  return rows[0];
}

export async function endMerge(db: Queryable, sourceId: string): Promise<MergeRow | undefined> {
  const rows = await db<MergeRow[]>`
    UPDATE identity_merge SET unmerged_at = now() WHERE source_id = ${sourceId} AND unmerged_at IS NULL
    RETURNING id::text, source_id, target_id, source_before, target_before, origin, merged_at, unmerged_at`;
  return rows[0];
}

/**
 * Every Patient id joined to the given ones by active merges, in either direction (the merge set):
 * what a reference search for any of them expands to.
 */
export async function mergeSets(db: Queryable, ids: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (ids.length === 0) return result;
  const rows = await db<{ start: string; member: string }[]>`
    WITH RECURSIVE edges AS (
      SELECT source_id AS a, target_id AS b FROM identity_merge WHERE unmerged_at IS NULL
        AND (source_id = ANY(${ids}) OR target_id = ANY(${ids}))
      UNION
      SELECT m.source_id, m.target_id FROM identity_merge m JOIN edges e
        ON m.unmerged_at IS NULL AND (m.source_id IN (e.a, e.b) OR m.target_id IN (e.a, e.b))
    ),
    nodes AS (SELECT a AS id FROM edges UNION SELECT b FROM edges)
    SELECT s.id AS start, n.id AS member
    FROM unnest(${ids}::text[]) AS s(id), nodes n
    WHERE EXISTS (SELECT 1 FROM nodes WHERE nodes.id = s.id)`;
  for (const id of ids) result.set(id, [id]);
  for (const row of rows) {
    const members = result.get(row.start) ?? [];
    if (!members.includes(row.member)) members.push(row.member);
    result.set(row.start, members);
  }
  return result;
}

export function orderedPair(x: string, y: string): [string, string] {
  return x < y ? [x, y] : [y, x];
}

export async function pairStatus(db: Queryable, x: string, y: string): Promise<{ status: 'review' | 'distinct'; task_id: string | null } | undefined> {
  const [a, b] = orderedPair(x, y);
  const rows = await db<{ status: 'review' | 'distinct'; task_id: string | null }[]>`
    SELECT status, task_id FROM identity_pair WHERE a = ${a} AND b = ${b}`;
  return rows[0];
}

export async function setPair(db: Queryable, x: string, y: string, status: 'review' | 'distinct', taskId: string | null, score: number | null): Promise<void> {
  const [a, b] = orderedPair(x, y);
  await db`
    INSERT INTO identity_pair (a, b, status, task_id, score) VALUES (${a}, ${b}, ${status}, ${taskId}, ${score})
    ON CONFLICT (a, b) DO UPDATE SET status = EXCLUDED.status, task_id = COALESCE(EXCLUDED.task_id, identity_pair.task_id),
      score = COALESCE(EXCLUDED.score, identity_pair.score), updated_at = now()`;
}
