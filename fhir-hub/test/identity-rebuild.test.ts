import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityConfigSchema } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RebuildProgress } from '../src/identity/index.ts';
import { generatePopulation, NIK_SYSTEM } from '../src/identity/synthetic-population.ts';
import { createTestHub, type TestHub } from './support/test-hub.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let hub: TestHub;

beforeAll(async () => {
  hub = await createTestHub({ identity: identityConfigSchema.parse({ pollIntervalMs: 0 }) });
  for (const { patient } of generatePopulation({ persons: 60, duplicateRate: 0.5, seed: 3 })) await hub.repo.createResource(patient);
  // As if the rules had changed: forget everything matching derived.
  await hub.db.sql`DELETE FROM identity_job`;
  await hub.db.sql`DELETE FROM identity_block`;
  await hub.db.sql`DELETE FROM identity_patient`;
}, 120_000);
afterAll(async () => {
  await hub?.close();
});

async function linkedCount(): Promise<number> {
  const [{ count }] = await hub.db.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM identity_patient WHERE golden_id IS NOT NULL`;
  return count;
}

describe('identity rebuild', () => {
  it('re-indexes every live Patient and re-runs matching, reporting progress per phase', async () => {
    const progress: RebuildProgress[] = [];
    const result = await hub.identity?.rebuild((p) => progress.push(p));
    const [{ total }] = await hub.db.sql<{ total: number }[]>`SELECT count(*)::int AS total FROM resource WHERE resource_type = 'Patient' AND NOT deleted`;
    expect(result?.indexed).toBe(total);
    expect(progress.at(-1)).toEqual({ phase: 'match', done: total, total });
    expect(progress.some((p) => p.phase === 'index' && p.done === total)).toBe(true);
    const [{ keys }] = await hub.db.sql<{ keys: number }[]>`SELECT count(DISTINCT patient_id)::int AS keys FROM identity_block`;
    expect(keys).toBe(total);
    // NIK duplicates (same NIK, different hospital) are certain: they are linked again.
    expect(await linkedCount()).toBeGreaterThan(0);
    const nikPairs = await hub.db.sql<{ patient_id: string }[]>`
      SELECT p.patient_id FROM identity_patient p JOIN identity_patient g ON g.patient_id = p.golden_id
      WHERE EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.features->'identifiers') i
                    WHERE i LIKE ${`${NIK_SYSTEM}|%`} AND g.features->'identifiers' ? i)`;
    expect(nikPairs.length).toBeGreaterThan(0);
  });

  it('`simpul identity rebuild` runs against the database with a progress bar and changes nothing more on a second run', async () => {
    const before = await linkedCount();
    const configFile = join(hub.storageDir, 'simpul.yaml');
    await writeFile(configFile, 'identity:\n  match: 16\n');
    const child = spawn(process.execPath, ['bin/simpul.ts', 'identity', 'rebuild'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: hub.db.url, SIMPUL_STORAGE_DIR: hub.storageDir, SIMPUL_CONFIG: configFile },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('indexing patients');
    expect(stderr).toContain('matching patients');
    expect(stderr).toMatch(/100\.0% [\d,]+\/[\d,]+ rows/);
    expect(await linkedCount()).toBe(before);
    const [{ waiting }] = await hub.db.sql<{ waiting: number }[]>`SELECT count(*)::int AS waiting FROM identity_job WHERE kind <> 'audit'`;
    expect(waiting).toBe(0);
  }, 120_000);
});
