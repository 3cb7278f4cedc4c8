import type { Patient, Task } from '@medplum/fhirtypes';
import { identityConfigSchema } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scorePair } from '../src/identity/score.ts';
import type { PatientFeatures } from '../src/identity/patient-features.ts';
import { generatePopulation, MRN_SYSTEM_A, MRN_SYSTEM_B, NIK_SYSTEM } from '../src/identity/synthetic-population.ts';
import { createTestHub, type TestHub } from './support/test-hub.ts';

const DICOM_CT01 = 'urn:simpul:dicom:CT01:patient-id';
const identity = identityConfigSchema.parse({
  pollIntervalMs: 0,
  uniqueIdentifiers: [
    { system: NIK_SYSTEM, kind: 'national' },
    { system: MRN_SYSTEM_A, kind: 'record' },
    { system: MRN_SYSTEM_B, kind: 'record' },
  ],
  identifierMaps: [{ from: DICOM_CT01, to: MRN_SYSTEM_A, valuePrefix: 'RM' }],
});

let hub: TestHub;
const personOf = new Map<string, number>();

beforeAll(async () => {
  hub = await createTestHub({ identity });
  for (const { patient, person } of generatePopulation({ persons: 300, duplicateRate: 0.3, seed: 7 })) {
    const created = await hub.repo.createResource(patient);
    personOf.set(created.id, person);
  }
  await hub.identity?.drain();
}, 240_000);

afterAll(async () => {
  await hub?.close();
});

async function goldenLinks(): Promise<{ patient_id: string; golden_id: string }[]> {
  return hub.db.sql<{ patient_id: string; golden_id: string }[]>`SELECT patient_id, golden_id FROM identity_patient WHERE golden_id IS NOT NULL`;
}

describe('identity matching on a generated population with planted duplicates', () => {
  it('links duplicates automatically with high precision and finds most of them (report printed)', async () => {
    const people = [...personOf.values()];
    const planted = people.length - new Set(people).size;
    const links = await goldenLinks();
    const truePositives = links.filter((l) => personOf.get(l.patient_id) === personOf.get(l.golden_id)).length;
    const reviews = await hub.db.sql<{ a: string; b: string }[]>`SELECT a, b FROM identity_pair WHERE status = 'review'`;
    const reviewHits = reviews.filter((r) => personOf.get(r.a) === personOf.get(r.b)).length;
    const precision = links.length ? truePositives / links.length : 1;
    const recall = truePositives / planted;
    const linkOrReviewRecall = (truePositives + reviewHits) / planted;
    console.info(
      `identity population: ${personOf.size} records, ${planted} planted duplicates; auto-links ${links.length} ` +
        `(precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}); reviews ${reviews.length} (${reviewHits} true); ` +
        `link-or-review recall ${linkOrReviewRecall.toFixed(3)}`,
    );
    expect(planted).toBeGreaterThan(60);
    expect(precision).toBeGreaterThanOrEqual(0.98);
    expect(recall).toBeGreaterThanOrEqual(0.6);
    expect(linkOrReviewRecall).toBeGreaterThanOrEqual(0.9);
  });

  it('never links below the match threshold, and writes the links on both Patients', async () => {
    const links = await goldenLinks();
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      const rows = await hub.db.sql<{ patient_id: string; features: PatientFeatures }[]>`
        SELECT patient_id, features FROM identity_patient WHERE patient_id IN (${link.patient_id}, ${link.golden_id})`;
      const [a, b] = rows.map((r) => r.features);
      expect(scorePair(a, b, identity).total).toBeGreaterThanOrEqual(identity.match);
      const source = await hub.repo.readResource<Patient>('Patient', link.patient_id);
      const golden = await hub.repo.readResource<Patient>('Patient', link.golden_id);
      expect(source.link).toContainEqual({ type: 'refer', other: { reference: `Patient/${link.golden_id}` } });
      expect(golden.link).toContainEqual({ type: 'seealso', other: { reference: `Patient/${link.patient_id}` } });
    }
    const audits = await hub.request('GET', '/fhir/R4/AuditEvent?_count=1&_total=accurate');
    expect(audits.body.total).toBeGreaterThanOrEqual(links.length);
  });

  it('opens one review Task per pair between the thresholds, with the pair and the score breakdown', async () => {
    const tasks = await hub.request('GET', '/fhir/R4/Task?code=https://simpul.dev/fhir/CodeSystem/task-code|identity-review&_count=500');
    expect(tasks.status).toBe(200);
    const entries = (tasks.body.entry ?? []).map((e: { resource: Task }) => e.resource) as Task[];
    expect(entries.length).toBeGreaterThan(0);
    for (const task of entries) {
      const value = (code: string) => task.input?.find((i) => i.type.text === code);
      const score = value('score')?.valueDecimal as number;
      expect(score).toBeGreaterThanOrEqual(identity.possible);
      expect(score).toBeLessThan(identity.match);
      expect(value('patient')?.valueReference?.reference).toMatch(/^Patient\//);
      expect(value('candidate')?.valueReference?.reference).toMatch(/^Patient\//);
      for (const part of ['name', 'birthDate', 'sex', 'phone', 'address']) expect(typeof value(part)?.valueDecimal).toBe('number');
    }
    const pairs = entries.map((t) => [t.focus?.reference, t.for?.reference].sort().join());
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it('a review decided "merge" merges the pair and audits the decision; a bad decision is refused', async () => {
    const base = await hub.repo.createResource<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: MRN_SYSTEM_A, value: 'RM77000001' }],
      name: [{ given: ['Kartini'], family: 'Raden' }],
      birthDate: '1979-04-21',
      gender: 'female',
    });
    const duplicate = await hub.repo.createResource<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: MRN_SYSTEM_B, value: 'B-7700001' }],
      name: [{ text: 'Ny. Kartini Raden' }],
      birthDate: '1979-04-21',
      gender: 'female',
    });
    await hub.identity?.drain();
    // Whichever record the worker matched first is the Task's focus; the other is its `for` (the candidate).
    const asFocus = await hub.request('GET', `/fhir/R4/Task?focus=Patient/${duplicate.id}&code=identity-review`);
    const asCandidate = await hub.request('GET', `/fhir/R4/Task?subject=Patient/${duplicate.id}&code=identity-review`);
    const tasks = [...(asFocus.body.entry ?? []), ...(asCandidate.body.entry ?? [])].map((e: { resource: Task }) => e.resource);
    expect(tasks).toHaveLength(1);
    const task = tasks[0];
    expect([task.focus?.reference, task.for?.reference].sort()).toEqual([`Patient/${base.id}`, `Patient/${duplicate.id}`].sort());
    const mergedId = (task.focus?.reference as string).slice('Patient/'.length);
    const survivorId = (task.for?.reference as string).slice('Patient/'.length);

    const refused = await hub.request('PUT', `/fhir/R4/Task/${task.id}`, { ...task, status: 'completed', output: [{ type: { text: 'decision' }, valueCode: 'maybe' }] });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('SIMPUL-ID-004');
    expect((await hub.repo.readResource<Task>('Task', task.id as string)).status).toBe('requested');

    const done = await hub.request('PUT', `/fhir/R4/Task/${task.id}`, { ...task, status: 'completed', output: [{ type: { text: 'decision' }, valueCode: 'merge' }] });
    expect(done.status).toBe(200);
    await hub.identity?.drain();
    const merged = await hub.repo.readResource<Patient>('Patient', mergedId);
    expect(merged).toMatchObject({ active: false, link: [{ type: 'replaced-by', other: { reference: `Patient/${survivorId}` } }] });
    const survivor = await hub.repo.readResource<Patient>('Patient', survivorId);
    const movedIdentifier = mergedId === duplicate.id ? { system: MRN_SYSTEM_B, value: 'B-7700001' } : { system: MRN_SYSTEM_A, value: 'RM77000001' };
    expect(survivor.identifier).toContainEqual({ ...movedIdentifier, use: 'old' });
    const audit = await hub.request('GET', `/fhir/R4/AuditEvent?entity=Task/${task.id}`);
    const codes = (audit.body.entry ?? []).map((e: { resource: { subtype: { code: string }[] } }) => e.resource.subtype[0].code).sort();
    expect(codes).toEqual(['decision', 'merge']);
  });

  it('a DICOM Patient with a hand-typed PatientID lands on the right person through the identifier map', async () => {
    const target = [...personOf.entries()].find(([, person]) => person === 42)?.[0] as string;
    const original = await hub.repo.readResource<Patient>('Patient', target);
    const mrn = original.identifier?.find((i) => i.system === MRN_SYSTEM_A)?.value as string;
    // Typed at the modality without the RM prefix, with a dash; name in DICOM order, no birth date.
    const typed = `${mrn.slice(2, 6)}-${mrn.slice(6)}`;
    const dicom = await hub.repo.createResource<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: DICOM_CT01, value: typed }],
      name: [{ text: 'UNKNOWN^PATIENT' }],
    });
    await hub.identity?.drain();
    const [row] = await hub.db.sql<{ golden_id: string }[]>`SELECT golden_id FROM identity_patient WHERE patient_id = ${dicom.id}`;
    const golden = (await hub.db.sql<{ golden_id: string | null }[]>`SELECT golden_id FROM identity_patient WHERE patient_id = ${target}`)[0].golden_id ?? target;
    expect(row.golden_id).toBe(golden);
    expect(personOf.get(row.golden_id)).toBe(42);
  });
});
