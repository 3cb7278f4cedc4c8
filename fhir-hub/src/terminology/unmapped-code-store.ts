import type { Queryable } from '../db/connect.ts';

/** One row of the unmapped-codes report; the shape of `@simpul/terminology`'s UnmappedCodeEntry. */
export interface UnmappedCode {
  system: string;
  code: string;
  display?: string;
  targetSystem?: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  exampleMessageId?: string;
}

export interface UnmappedCodeQuery {
  system?: string;
  limit: number;
  offset: number;
}

interface UnmappedCodeRow {
  system: string;
  code: string;
  target_system: string;
  display: string | null;
  count: string;
  first_seen: Date;
  last_seen: Date;
  example_message_id: string | null;
}

/**
 * Adds a batch of sightings to the report: counts add up, first/last seen widen, the first display
 * and example message kept stay. Entries for the same code within the batch are merged first.
 * Returns how many distinct codes the batch touched.
 */
export async function recordUnmappedCodes(db: Queryable, entries: readonly UnmappedCode[]): Promise<number> {
  const merged = mergeByKey(entries);
  if (merged.length === 0) return 0;
  await db`
    INSERT INTO unmapped_code (system, code, target_system, display, count, first_seen, last_seen, example_message_id)
    SELECT * FROM unnest(
      ${merged.map((e) => e.system)}::text[],
      ${merged.map((e) => e.code)}::text[],
      ${merged.map((e) => e.targetSystem ?? '')}::text[],
      ${merged.map((e) => e.display ?? null)}::text[],
      ${merged.map((e) => String(e.count))}::bigint[],
      ${merged.map((e) => e.firstSeen)}::timestamptz[],
      ${merged.map((e) => e.lastSeen)}::timestamptz[],
      ${merged.map((e) => e.exampleMessageId ?? null)}::text[])
    ON CONFLICT (system, code, target_system) DO UPDATE SET
      count = unmapped_code.count + EXCLUDED.count,
      first_seen = LEAST(unmapped_code.first_seen, EXCLUDED.first_seen),
      last_seen = GREATEST(unmapped_code.last_seen, EXCLUDED.last_seen),
      display = COALESCE(unmapped_code.display, EXCLUDED.display),
      example_message_id = COALESCE(unmapped_code.example_message_id, EXCLUDED.example_message_id)`;
  return merged.length;
}

/** The report, most frequent first (then most recently seen), with the total for paging. */
export async function listUnmappedCodes(db: Queryable, query: UnmappedCodeQuery): Promise<{ total: number; codes: UnmappedCode[] }> {
  const system = query.system ?? null;
  const [{ total }] = await db<{ total: string }[]>`
    SELECT count(*) AS total FROM unmapped_code WHERE (${system}::text IS NULL OR system = ${system})`;
  const rows = await db<UnmappedCodeRow[]>`
    SELECT system, code, target_system, display, count, first_seen, last_seen, example_message_id
    FROM unmapped_code WHERE (${system}::text IS NULL OR system = ${system})
    ORDER BY count DESC, last_seen DESC, system, code, target_system
    LIMIT ${query.limit} OFFSET ${query.offset}`;
  return { total: Number(total), codes: rows.map(toUnmappedCode) };
}

function toUnmappedCode(row: UnmappedCodeRow): UnmappedCode {
  return {
    system: row.system,
    code: row.code,
    ...(row.display !== null ? { display: row.display } : undefined),
    ...(row.target_system !== '' ? { targetSystem: row.target_system } : undefined),
    count: Number(row.count),
    firstSeen: row.first_seen.toISOString(),
    lastSeen: row.last_seen.toISOString(),
    ...(row.example_message_id !== null ? { exampleMessageId: row.example_message_id } : undefined),
  };
}

/** One INSERT ... ON CONFLICT cannot touch a row twice: fold duplicates of the batch together. */
function mergeByKey(entries: readonly UnmappedCode[]): UnmappedCode[] {
  const byKey = new Map<string, UnmappedCode>();
  for (const entry of entries) {
    const key = `${entry.system}\u0000${entry.code}\u0000${entry.targetSystem ?? ''}`;
    const known = byKey.get(key);
    if (!known) {
      byKey.set(key, { ...entry });
      continue;
    }
    known.count += entry.count;
    if (Date.parse(entry.firstSeen) < Date.parse(known.firstSeen)) known.firstSeen = entry.firstSeen;
    if (Date.parse(entry.lastSeen) > Date.parse(known.lastSeen)) known.lastSeen = entry.lastSeen;
    known.display ??= entry.display;
    known.exampleMessageId ??= entry.exampleMessageId;
  }
  return [...byKey.values()];
}
