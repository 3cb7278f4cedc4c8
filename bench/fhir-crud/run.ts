/**
 * bench/fhir-crud: creates/s, reads/s and 20-entry transactions/s against a real `simpul hub`
 * process at 16 concurrent clients (autocannon), with p50/p99 and the CPU used by the hub and
 * PostgreSQL. Appends its figures to bench/RESULTS.md.
 *
 *   source scripts/node-env.sh && node bench/fhir-crud/run.ts [--seconds 15] [--connections 16]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { cpuSeconds, measureCpu, treeCpuSeconds } from '../support/process-cpu.ts';
import { markdownTable, recordResults } from '../support/results.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '16' },
    port: { type: 'string', default: '8199' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const base = `http://127.0.0.1:${values.port}`;
const dbName = `simpul_bench_${Date.now().toString(36)}`;
const BENCH_CLIENT_ID = 'bench-admin';
const BENCH_CLIENT_SECRET = randomUUID();
let authorization = '';

const patientBody = (i: number) =>
  JSON.stringify({
    resourceType: 'Patient',
    identifier: [{ system: 'http://sys-ids.kemkes.go.id/mrn/10000004', value: `MRN-${i}-${randomUUID().slice(0, 8)}` }],
    name: [{ family: 'Santoso', given: ['Budi', `N${i}`] }],
    gender: 'male',
    birthDate: '1980-04-01',
    telecom: [{ system: 'phone', value: '+62-21-555-0101' }],
  });

const observationBundle = (patientId: string) =>
  JSON.stringify({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: 20 }, (_, k) => ({
      resource: {
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
        subject: { reference: `Patient/${patientId}` },
        effectiveDateTime: new Date(Date.now() - k * 60_000).toISOString(),
        valueQuantity: { value: 60 + k, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      },
      request: { method: 'POST', url: 'Observation' },
    })),
  });

interface Phase {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  cpu: Record<string, number>;
}

async function runPhase(name: string, options: Omit<autocannon.Options, 'url'> & { path?: string }, hubPid: number): Promise<Phase> {
  process.stderr.write(`bench: ${name} for ${seconds}s at ${connections} connections...\n`);
  options = { ...options, headers: { ...(options.headers ?? {}), authorization } };
  const { result, cpuPercent } = await measureCpu(
    { hub: () => cpuSeconds([hubPid]), postgres: () => treeCpuSeconds('postgres') },
    () => {
      const { path, ...rest } = options;
      return autocannon({ ...rest, url: base + (path ?? '/fhir/R4/Patient'), connections, duration: seconds }) as Promise<autocannon.Result>;
    },
  );
  const errors = result.errors + result.non2xx + result.timeouts;
  return {
    name,
    requests: result.requests.total,
    perSecond: Math.round(result.requests.total / seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    cpu: cpuPercent,
  };
}

async function main(): Promise<void> {
  const admin = postgres(`${values.server}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  const storage = await mkdtemp(join(tmpdir(), 'simpul-bench-'));
  const hub = spawn(process.execPath, ['bin/simpul.ts', 'hub'], {
    env: {
      ...process.env,
      DATABASE_URL: `${values.server}/${dbName}`,
      SIMPUL_HUB_PORT: values.port,
      SIMPUL_STORAGE_DIR: storage,
      SIMPUL_LOG_LEVEL: 'warn',
      SIMPUL_ADMIN_CLIENT_ID: BENCH_CLIENT_ID,
      SIMPUL_ADMIN_CLIENT_SECRET: BENCH_CLIENT_SECRET,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForHealthy();
    authorization = `Bearer ${await fetchToken()}`;
    let counter = 0;
    const create = await runPhase(
      'create Patient',
      {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        requests: [{ setupRequest: ((req: any) => ({ ...req, body: patientBody(counter++) })) as any }],
      },
      hub.pid as number,
    );
    const ids = await fetchIds(1000);
    let readIndex = 0;
    const read = await runPhase(
      'read Patient by id',
      { requests: [{ setupRequest: ((req: any) => ({ ...req, method: 'GET', path: `/fhir/R4/Patient/${ids[readIndex++ % ids.length]}` })) as any }] },
      hub.pid as number,
    );
    let txIndex = 0;
    const transaction = await runPhase(
      '20-entry transaction (Observations)',
      {
        method: 'POST',
        path: '/fhir/R4',
        headers: { 'content-type': 'application/fhir+json' },
        requests: [{ setupRequest: ((req: any) => ({ ...req, body: observationBundle(ids[txIndex++ % ids.length]) })) as any }],
      },
      hub.pid as number,
    );
    const phases = [create, read, transaction];
    const table = markdownTable(
      ['interaction', 'requests', 'req/s', 'resources/s', 'p50 ms', 'p99 ms', 'errors', 'hub CPU %', 'PostgreSQL CPU %'],
      phases.map((p) => [
        p.name,
        p.requests,
        p.perSecond,
        p === transaction ? p.perSecond * 20 : p.perSecond,
        p.p50,
        p.p99,
        p.errors,
        p.cpu.hub,
        p.cpu.postgres,
      ]),
    );
    process.stdout.write(`${table}\n`);
    await recordResults(
      'fhir-crud',
      `node bench/fhir-crud/run.ts --seconds ${seconds} --connections ${connections}`,
      table,
      'Peer (Medplum 5.0.10, same machine class, same load shape): 398–536 creates/s (p99 48–78 ms), 2,300 reads/s (p99 ~20 ms), 341–403 Observations/s in 20-entry transactions. CPU % is of one core (200% = both cores).',
    );
  } finally {
    hub.kill('SIGTERM');
    await new Promise((resolve) => hub.once('exit', resolve));
    await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
    await rm(storage, { recursive: true, force: true });
  }
}

async function waitForHealthy(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the hub did not become healthy within 20 s');
}

/** A system token for the bench client (the hub prints nothing: its admin client comes from the environment). */
async function fetchToken(): Promise<string> {
  const res = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: BENCH_CLIENT_ID, client_secret: BENCH_CLIENT_SECRET }),
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function fetchIds(count: number): Promise<string[]> {
  const bundle = (await (await fetch(`${base}/fhir/R4/Patient?_count=${count}`, { headers: { authorization } })).json()) as { entry?: { resource: { id: string } }[] };
  const ids = bundle.entry?.map((e) => e.resource.id) ?? [];
  if (ids.length === 0) throw new Error('no patients to read: the create phase stored nothing');
  return ids;
}

await main();
