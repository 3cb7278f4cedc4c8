/**
 * Loads the Synthea-like population (synthea.ts) straight into a hub database: resource and
 * resource_history rows by multi-row inserts (unnest), and their search index computed by the hub's
 * own extractSearchIndexRows and written by its writeIndexRows, the code every write uses. Then
 * VACUUM ANALYZE, so the planner and index-only scans see the real data.
 *
 *   source scripts/node-env.sh && node bench/fhir-search/load.ts --resources 1000000 --database simpul_search_bench
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Resource } from '@medplum/fhirtypes';
import { connectDatabase, extractSearchIndexRows, migrate, writeIndexRows, type Sql } from '@simpul/fhir-hub';
import postgres from 'postgres';
import { patientRecord, referenceResources, RESOURCES_PER_PATIENT } from './synthea.ts';

export interface LoadResult {
  resources: number;
  patients: number;
  seconds: number;
  databaseBytes: number;
}

/** Patients per statement: 100 × 50 = 5,000 resources per transaction. */
const PATIENTS_PER_BATCH = 100;

export async function loadPopulation(server: string, database: string, resources: number, log: (line: string) => void): Promise<LoadResult> {
  const admin = postgres(`${server}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${database}"`);
  await admin.end();
  const sql = connectDatabase({ url: `${server}/${database}`, maxConnections: 4, applicationName: 'simpul-bench-load' });
  try {
    await migrate(sql);
    const started = Date.now();
    await insertBatch(sql, referenceResources());
    const patients = Math.max(1, Math.round(resources / RESOURCES_PER_PATIENT));
    let done = 0;
    let next = 0;
    // Two pipelines: one computes index rows (CPU) while the other's statement runs in PostgreSQL.
    const worker = async (): Promise<void> => {
      while (next < patients) {
        const from = next;
        const to = Math.min(patients, next + PATIENTS_PER_BATCH);
        next = to;
        const batch: Resource[] = [];
        for (let i = from; i < to; i++) batch.push(...patientRecord(i));
        await insertBatch(sql, batch);
        done += to - from;
        progress(log, done, patients, started);
      }
    };
    await Promise.all([worker(), worker()]);
    log(`\nload: VACUUM ANALYZE...`);
    await sql.unsafe('VACUUM ANALYZE');
    const seconds = (Date.now() - started) / 1000;
    const [{ bytes }] = await sql<{ bytes: string }[]>`SELECT pg_database_size(current_database())::text AS bytes`;
    const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM resource`;
    return { resources: n, patients, seconds, databaseBytes: Number(bytes) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function insertBatch(sql: Sql, resources: Resource[]): Promise<void> {
  const lastUpdated = new Date().toISOString();
  const stored = resources.map((r) => ({ ...r, meta: { versionId: randomUUID(), lastUpdated } }) as Resource & { id: string; meta: { versionId: string } });
  const t0 = performance.now();
  const contents = stored.map((r) => JSON.stringify(r));
  const indexRows = stored.map((r) => extractSearchIndexRows(r));
  timing.extractMs += performance.now() - t0;
  const t1 = performance.now();
  await sql.begin(async (tx) => {
    const rids = await tx.unsafe<{ rid: string }[]>(
      `INSERT INTO resource (resource_type, id, version_id, version_seq, last_updated, content)
       SELECT t, i, v, 1, $4::timestamptz, c FROM unnest($1::text[], $2::text[], $3::text[], $5::text[]) WITH ORDINALITY AS u (t, i, v, c, n)
       ORDER BY n RETURNING rid::text AS rid`,
      [stored.map((r) => r.resourceType), stored.map((r) => r.id), stored.map((r) => r.meta.versionId), lastUpdated, contents] as never[],
    );
    await tx.unsafe(
      `INSERT INTO resource_history (resource_type, id, version_id, version_seq, last_updated, content)
       SELECT t, i, v, 1, $4::timestamptz, c FROM unnest($1::text[], $2::text[], $3::text[], $5::text[]) AS u (t, i, v, c)`,
      [stored.map((r) => r.resourceType), stored.map((r) => r.id), stored.map((r) => r.meta.versionId), lastUpdated, contents] as never[],
    );
    await writeIndexRows(
      tx,
      stored.map((r, k) => ({ rid: rids[k].rid, resourceType: r.resourceType, rows: indexRows[k] })),
    );
  });
  timing.writeMs += performance.now() - t1;
}

/** Where the load time went (CPU in this process vs statements), for the results notes. */
export const timing = { extractMs: 0, writeMs: 0 };

let lastDraw = 0;
function progress(log: (line: string) => void, done: number, total: number, started: number): void {
  const now = Date.now();
  if (now - lastDraw < 1000 && done < total) return;
  lastDraw = now;
  const seconds = (now - started) / 1000;
  const rate = (done * RESOURCES_PER_PATIENT) / seconds;
  const eta = rate > 0 ? ((total - done) * RESOURCES_PER_PATIENT) / rate : 0;
  const width = 30;
  const filled = Math.round((done / total) * width);
  log(
    `\rload: [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${((done / total) * 100).toFixed(1)}% ` +
      `${(done * RESOURCES_PER_PATIENT).toLocaleString('en')} resources, ${Math.round(rate).toLocaleString('en')}/s, ETA ${Math.round(eta)} s   `,
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '1000000' },
      database: { type: 'string', default: 'simpul_search_bench' },
      server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    },
  });
  const result = await loadPopulation(values.server, values.database, Number(values.resources), (line) => process.stderr.write(line));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
