/**
 * bench/identity: patient matching at scale. Loads a generated population (default 1,000,000 persons,
 * 10% with a duplicate from a second hospital) into the identity tables of a fresh database, in
 * batches through the same code `simpul identity rebuild` uses (features + blocking keys, set-based
 * SQL): that is the rebuild index throughput. Then, for incoming Patients (half of them duplicates of
 * loaded persons with typos/swaps/old spelling, half new people), times candidate search + scoring,
 * the work done per Patient write before any link or Task is written: p50/p99 per incoming Patient.
 * Patient resources themselves are not written (the hub's create throughput is bench/fhir-crud's).
 * Appends its figures to bench/RESULTS.md.
 *
 *   source scripts/node-env.sh && node bench/identity/run.ts [--persons 1000000] [--incoming 2000]
 */
import { parseArgs } from 'node:util';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Patient } from '@medplum/fhirtypes';
import { connectDatabase, generatePopulation, IdentityMatcher, indexIdentityBatch, migrate, patientFeatures } from '@simpul/fhir-hub';
import { identityConfigSchema } from '@simpul/infra';
import pino from 'pino';
import postgres from 'postgres';
import { markdownTable, recordResults } from '../support/results.ts';

const { values } = parseArgs({
  options: {
    persons: { type: 'string', default: '1000000' },
    incoming: { type: 'string', default: '2000' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    keep: { type: 'boolean', default: false },
  },
});
const persons = Number(values.persons);
const incomingCount = Number(values.incoming);
const CHUNK = 20_000;
const BATCH = 1_000;
const config = identityConfigSchema.parse({
  uniqueIdentifiers: [
    { system: 'https://fhir.kemkes.go.id/id/nik', kind: 'national' },
    { system: 'https://rs-a.example/id/mrn', kind: 'record' },
    { system: 'https://rs-b.example/id/mrn', kind: 'record' },
  ],
});

const dbName = `simpul_bench_identity_${Date.now().toString(36)}`;
const admin = postgres(`${values.server}/postgres`, { max: 1, onnotice: () => undefined });
await admin.unsafe(`CREATE DATABASE "${dbName}"`);
const sql = connectDatabase({ url: `${values.server}/${dbName}`, maxConnections: 4, applicationName: 'bench-identity' });
try {
  await migrate(sql);
  // Load: chunks with their own seed; ids and MRNs made unique across chunks.
  const started = performance.now();
  let loaded = 0;
  const heldBack: Patient[] = [];
  for (let chunk = 0; chunk * CHUNK < persons; chunk++) {
    const population = generatePopulation({ persons: Math.min(CHUNK, persons - chunk * CHUNK), duplicateRate: 0.1, seed: 1000 + chunk });
    // Chunk 0's duplicates are held back: they arrive later as incoming Patients.
    if (chunk === 0) heldBack.push(...population.filter((p) => p.kind !== 'original').map((p) => withId(p.patient, 'incoming', 0)));
    const patients = population.filter((p) => chunk > 0 || p.kind === 'original').map(({ patient }, i) => withId(patient, `p${chunk}-${i}`, chunk));
    for (let i = 0; i < patients.length; i += BATCH) {
      await indexIdentityBatch(sql, patients.slice(i, i + BATCH), config, []);
    }
    loaded += patients.length;
    process.stderr.write(`\rloaded ${loaded.toLocaleString('en')} records, ${Math.round(loaded / ((performance.now() - started) / 60_000)).toLocaleString('en')}/min`);
  }
  const loadMinutes = (performance.now() - started) / 60_000;
  process.stderr.write('\n');
  await sql`ANALYZE identity_block`;
  await sql`ANALYZE identity_patient`;
  const [{ keys }] = await sql<{ keys: number }[]>`SELECT count(*)::int AS keys FROM identity_block`;

  // Incoming: duplicates of loaded persons (the second hospital's records of chunk 0) and new people.
  const matcher = new IdentityMatcher(sql, undefined as unknown as FhirRepository, config, pino({ level: 'silent' }));
  const duplicates = heldBack.slice(0, incomingCount / 2).map(({ id: _id, ...patient }) => patient);
  const strangers = generatePopulation({ persons: incomingCount / 2, duplicateRate: 0, seed: 999_999 }).map((p) => p.patient);
  const incoming = [...duplicates, ...strangers];
  const timings: number[] = [];
  let candidates = 0;
  let aboveMatch = 0;
  for (const patient of incoming) {
    const t0 = performance.now();
    const scored = await matcher.score(patientFeatures(patient, config), [], true);
    timings.push(performance.now() - t0);
    candidates += scored.length;
    if (scored[0] && scored[0].score.total >= config.match) aboveMatch++;
  }
  timings.sort((a, b) => a - b);
  const pct = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))].toFixed(1);
  const table = markdownTable(
    ['measure', 'value'],
    [
      ['records loaded (persons + 10% duplicates, minus those held back as incoming)', loaded.toLocaleString('en')],
      ['blocking keys', keys.toLocaleString('en')],
      ['rebuild index throughput (features + keys written)', `${Math.round(loaded / loadMinutes).toLocaleString('en')} patients/min`],
      ['incoming Patients scored (half duplicates, half new)', incoming.length],
      ['candidate search + scoring p50 / p99 / max', `${pct(0.5)} / ${pct(0.99)} / ${timings.at(-1)?.toFixed(1)} ms`],
      ['candidates per incoming Patient (mean)', (candidates / incoming.length).toFixed(1)],
      ['incoming with a candidate at or above `match` (duplicates / all)', `${aboveMatch} / ${incoming.length} (${duplicates.length} are duplicates)`],
    ],
  );
  console.log(table);
  await recordResults(
    'identity',
    `node bench/identity/run.ts --persons ${persons} --incoming ${incomingCount}`,
    table,
    `Candidate search reads only identity_block (index-only, at most ${config.maxCandidatesPerKey} ids per key) and identity_patient by primary key; ` +
      'scoring is in-process. The matching phase of a rebuild runs this search + scoring per Patient plus the writes of the links and Tasks it finds.',
  );
} finally {
  await sql.end({ timeout: 5 });
  if (!values.keep) await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
}

function withId(patient: Patient, id: string, chunk: number): Patient {
  return {
    ...patient,
    id,
    identifier: patient.identifier?.map((i) => (i.system?.startsWith('https://rs-') ? { ...i, value: `${i.value}-${chunk}` } : i)),
  };
}
