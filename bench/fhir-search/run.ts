/**
 * bench/fhir-search: loads a Synthea-like population (or reuses a loaded database), starts a real
 * `simpul hub` on it and measures, at 16 concurrent clients (autocannon), the searches the search
 * issue names: token on identifier, string on name, a date range on Observation, a chained
 * Observation?subject:Patient.identifier=, _revinclude, and page 100 of a sort (by cursor); then
 * creates on the loaded database (what indexing costs a write). Appends to bench/RESULTS.md with
 * the load time and the database size per million resources.
 *
 *   source scripts/node-env.sh && node bench/fhir-search/run.ts --resources 1000000 [--reuse] [--seconds 15]
 *   (--creates-only: only the create phases, e.g. on a tiny population for the empty-database rate)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { connectDatabase } from '@simpul/fhir-hub';
import { measureCpu, pidsByName } from '../support/process-cpu.ts';
import { markdownTable, recordResults } from '../support/results.ts';
import { loadPopulation, type LoadResult } from './load.ts';
import { benchQueries } from './queries.ts';
import { mrn, MRN_SYSTEM } from './synthea.ts';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '1000000' },
    database: { type: 'string', default: 'simpul_search_bench' },
    reuse: { type: 'boolean', default: false },
    'creates-only': { type: 'boolean', default: false },
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '16' },
    port: { type: 'string', default: '8198' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    load: { type: 'string', description: 'load result JSON of an earlier load.ts run, for the notes' },
    note: { type: 'string', description: 'a line added to the notes in RESULTS.md' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const resources = Number(values.resources);
const base = `http://127.0.0.1:${values.port}`;
const ADMIN_ID = 'bench-admin';
const ADMIN_SECRET = randomUUID();

interface Phase {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  cpu: Record<string, number>;
}

async function main(): Promise<void> {
  let load: LoadResult | undefined = values.load ? (JSON.parse(values.load) as LoadResult) : undefined;
  if (!values.reuse) {
    load = await loadPopulation(values.server, values.database, resources, (line) => process.stderr.write(line));
    process.stderr.write(`\n`);
  }
  if (values.reuse) {
    // earlier runs' creates leave new rows and stale statistics behind
    const sql = connectDatabase({ url: `${values.server}/${values.database}`, maxConnections: 1 });
    await sql.unsafe(`DELETE FROM resource WHERE resource_type IN ('Patient', 'Observation') AND id ~ '^[0-9a-f]{8}-'`);
    await sql.unsafe('VACUUM ANALYZE');
    await sql.end({ timeout: 5 });
  }
  const storage = await mkdtemp(join(tmpdir(), 'simpul-bench-'));
  const hub = spawn(process.execPath, ['bin/simpul.ts', 'hub'], {
    env: {
      ...process.env,
      DATABASE_URL: `${values.server}/${values.database}`,
      SIMPUL_HUB_PORT: values.port,
      SIMPUL_STORAGE_DIR: storage,
      SIMPUL_LOG_LEVEL: 'warn',
      SIMPUL_ADMIN_CLIENT_ID: ADMIN_ID,
      SIMPUL_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForHealthy();
    const sql = connectDatabase({ url: `${values.server}/${values.database}`, maxConnections: 2 });
    const queries = values['creates-only'] ? [] : await benchQueries(sql, resources).finally(() => sql.end({ timeout: 5 }));
    if (values['creates-only']) await sql.end({ timeout: 5 });
    const phases: Phase[] = [];
    for (const query of queries) {
      const token = await accessToken();
      // an untimed pass warms the prepared statements and the pages the queries touch
      await runPhase(`${query.name} (warm-up)`, { token, paths: query.urls, seconds: 3 }, hub);
      phases.push(await runPhase(query.name, { token, paths: query.urls, seconds }, hub));
    }
    let created = 0;
    const token = await accessToken();
    phases.push(
      await runPhase('create Observation (fully indexed)', { token, seconds, body: () => observationBody(created++), path: '/fhir/R4/Observation' }, hub),
    );
    phases.push(await runPhase('create Patient (fully indexed)', { token, seconds, body: () => patientBody(created++), path: '/fhir/R4/Patient' }, hub));
    const table = markdownTable(
      ['interaction', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'hub CPU %', 'PostgreSQL CPU %'],
      phases.map((p) => [p.name, p.requests, p.perSecond, p.p50, p.p99, p.errors, p.cpu.hub, p.cpu.postgres]),
    );
    process.stdout.write(`${table}\n`);
    const perMillion = (n: number): string => (n * (1_000_000 / Math.max(1, load?.resources ?? resources))).toFixed(0);
    const notes = [
      load
        ? `Population: ${load.resources.toLocaleString('en')} resources (${load.patients.toLocaleString('en')} patients × 50: 8 encounters, 40 observations, 1 imaging study). ` +
          `Load (bench/fhir-search/load.ts, straight to the tables through the hub's index code, then VACUUM ANALYZE): ${load.seconds.toFixed(0)} s, ` +
          `${Math.round(load.resources / load.seconds).toLocaleString('en')} resources/s, i.e. ${perMillion(load.seconds)} s per million; ` +
          `database ${(load.databaseBytes / 2 ** 30).toFixed(2)} GiB, i.e. ${(Number(perMillion(load.databaseBytes)) / 2 ** 30).toFixed(2)} GiB per million resources.`
        : '',
      `Requests go through the bearer-token check (client-credentials token of the admin client). CPU % is of one core (200% = both). ` +
        `Load average at the end: ${loadavg().map((n) => n.toFixed(1)).join(' ')} — other helpers were using the same 2 cores during the run.`,
      'Peer: Medplum 5.0.10 on this machine class served Patient?name= at 562 requests/s (p99 67 ms) on 17,000 patients.',
      values.note ?? '',
    ].filter(Boolean);
    await recordResults(
      `fhir-search (${(load?.resources ?? resources).toLocaleString('en')} resources)`,
      `node bench/fhir-search/run.ts --resources ${resources}${values.database === 'simpul_search_bench' ? '' : ` --database ${values.database}`}${values.reuse ? ' --reuse' : ''}${values['creates-only'] ? ' --creates-only' : ''} --seconds ${seconds} --connections ${connections}`,
      table,
      notes.join('\n\n'),
    );
  } finally {
    hub.kill('SIGTERM');
    await new Promise((resolve) => hub.once('exit', resolve));
    await rm(storage, { recursive: true, force: true });
  }
}

interface PhaseOptions {
  token: string;
  seconds: number;
  /** Search URLs relative to /fhir/R4/, used in turn. */
  paths?: string[];
  path?: string;
  body?: () => string;
}

async function runPhase(name: string, options: PhaseOptions, hub: ChildProcess): Promise<Phase> {
  process.stderr.write(`bench: ${name} for ${options.seconds}s at ${connections} connections...\n`);
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/fhir+json' };
  const { paths, body } = options;
  let k = 0;
  const setupRequest = paths
    ? (req: Record<string, unknown>) => ({ ...req, method: 'GET', path: `/fhir/R4/${encodePath(paths[k++ % paths.length])}` })
    : (req: Record<string, unknown>) => ({ ...req, method: 'POST', path: options.path, body: body?.() });
  const { result, cpuPercent } = await measureCpu({ hub: () => [hub.pid as number], postgres: () => pidsByName('postgres') }, () =>
    autocannon({
      url: base,
      connections,
      duration: options.seconds,
      headers,
      requests: [{ setupRequest: setupRequest as never }],
    }) as Promise<autocannon.Result>,
  );
  return {
    name,
    requests: result.requests.total,
    perSecond: Math.round(result.requests.total / options.seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    cpu: cpuPercent,
  };
}

/** The query part as a client would send it ('|' and ':' percent-encoded). */
function encodePath(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  return `${url.slice(0, q)}?${params.toString()}`;
}

async function accessToken(): Promise<string> {
  const response = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function waitForHealthy(): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the hub did not become healthy within 180 s');
}

function observationBody(i: number): string {
  return JSON.stringify({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    // a code and a year the searches above do not ask for, so a re-run measures the same data
    code: { coding: [{ system: 'http://loinc.org', code: '9279-1', display: 'Respiratory rate' }] },
    subject: { reference: `Patient/p-${i % 1000}` },
    effectiveDateTime: new Date(Date.UTC(2014, 0, 1) + i * 60_000).toISOString(),
    valueQuantity: { value: 60 + (i % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
}

function patientBody(i: number): string {
  return JSON.stringify({
    resourceType: 'Patient',
    identifier: [{ system: MRN_SYSTEM, value: `${mrn(i)}-new-${randomUUID().slice(0, 8)}` }],
    name: [{ family: 'Neuanlage', given: ['Budi', `N${i}`] }],
    gender: 'male',
    birthDate: '1980-04-01',
    telecom: [{ system: 'phone', value: '+62-21-555-0101' }],
  });
}

await main();
