/**
 * bench/subscriptions: what one active catch-all Subscription costs. Creates Patients at 16
 * concurrent clients (autocannon) against a real `simpul hub` process (with its outbox relay),
 * alternating phases without and with one rest-hook Subscription on `Patient`, delivered by a
 * `simpul bots` process (running in every phase) to an HTTP receiver on loopback. Reports
 * creates/s per phase, delivery lag (receipt time minus the resource's meta.lastUpdated)
 * p50/p99, how long the backlog took to drain, CPU per process and the machine's load average.
 * Appends its figures to bench/RESULTS.md (not with --dry-run).
 *
 *   source scripts/node-env.sh && node bench/subscriptions/run.ts [--seconds 15] [--rounds 2] [--connections 16] [--dry-run]
 *
 * Floor (issue 5): with the Subscription, at least 75 % of the create rate without it, and lag p99
 * under 100 ms. Peer: Medplum 5.0.10 on this machine class, 137–157 creates/s with one
 * Subscription (about 450 without), lag p99 165–301 ms.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MedplumClient } from '@medplum/core';
import type { Subscription } from '@medplum/fhirtypes';
import { createTestVhost } from '@simpul/infra/testing';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { measureCpu, pidsByName } from '../support/process-cpu.ts';
import { markdownTable, recordResults } from '../support/results.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
    /** Default: a free port (other benches may be running on 8198/8199). */
    port: { type: 'string' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const port = values.port ?? String(await freePort());
const base = `http://127.0.0.1:${port}/`;
const dbName = `simpul_bench_subs_${Date.now().toString(36)}`;
const admin = { clientId: `bench-admin-${randomBytes(3).toString('hex')}`, clientSecret: randomBytes(24).toString('base64url') };
const MARK = 'https://simpul.dev/bench/phase';

const patientBody = (phase: string, i: number) =>
  JSON.stringify({
    resourceType: 'Patient',
    identifier: [{ system: MARK, value: `${phase}-${i}-${randomUUID().slice(0, 8)}` }],
    name: [{ family: 'Santoso', given: ['Budi', `N${i}`] }],
    gender: 'male',
    birthDate: '1980-04-01',
    telecom: [{ system: 'phone', value: '+62-21-555-0101' }],
  });

interface Phase {
  name: string;
  created: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  cpu: Record<string, number>;
  loadAverage: string;
}

/** Delivery lags of phase-B resources, in ms. */
const lags: number[] = [];
let receivedB = 0;
/** Deliveries of Patients created while the Subscription was off: proof the phases are what they say. */
let receivedA = 0;
let receivedProbe = 0;
let lastReceiptAt = 0;
/** Every delivery the receiver answered 200 (each has a delivery AuditEvent to wait for). */
let receipts = 0;

async function main(): Promise<void> {
  const pg = postgres(`${values.server}/postgres`, { max: 1, onnotice: () => undefined });
  await pg.unsafe(`CREATE DATABASE "${dbName}"`);
  const vhost = await createTestVhost('simpul_bench_subs');
  const dir = await mkdtemp(join(tmpdir(), 'simpul-bench-subs-'));
  const receiver = await startReceiver();
  const env = {
    DATABASE_URL: `${values.server}/${dbName}`,
    AMQP_URL: vhost.url,
    SIMPUL_HUB_PORT: port,
    SIMPUL_STORAGE_DIR: join(dir, 'blobs'),
    SIMPUL_LOG_LEVEL: 'warn',
    SIMPUL_ADMIN_CLIENT_ID: admin.clientId,
    SIMPUL_ADMIN_CLIENT_SECRET: admin.clientSecret,
    SIMPUL_CONFIG: '',
  };
  const hub = spawn(process.execPath, ['bin/simpul.ts', 'hub'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  let bots: ChildProcess | undefined;
  try {
    await waitForHealthy();
    const medplum = new MedplumClient({ baseUrl: base, cacheTime: 0, authCredentialsMethod: 'header', refreshGracePeriod: 30_000 });
    await medplum.startClientLogin(admin.clientId, admin.clientSecret);
    const token = (): string => medplum.getAccessToken() as string;

    // The runtime runs in every phase (idle while the Subscription is off), so phases differ only by the Subscription.
    const configFile = join(dir, 'bots.yaml');
    await writeFile(configFile, JSON.stringify({ bots: { clientId: admin.clientId, clientSecret: admin.clientSecret, hubUrl: base } }));
    bots = spawn(process.execPath, ['bench/subscriptions/run-bots.ts'], { env: { ...process.env, ...env, SIMPUL_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'inherit'] });
    await waitForLine(bots, /^READY$/);
    const subscription = await medplum.createResource<Subscription>({
      resourceType: 'Subscription',
      status: 'off',
      reason: 'bench: catch-all',
      criteria: 'Patient',
      channel: { type: 'rest-hook', endpoint: `${receiver.url}hook`, payload: 'application/fhir+json' },
    });
    const pids = { hub: hub.pid as number, bots: bots.pid as number };
    await runPhase('warm-up', 'W', Math.min(5, seconds), token(), pids);

    // Alternate without / with, so that drift in the machine's background load hits both alike.
    const without: Phase[] = [];
    const withSub: Phase[] = [];
    let drainMs = 0;
    let auditCatchUpMs = 0;
    for (let round = 1; round <= rounds; round++) {
      await setSubscription(medplum, subscription.id as string, 'off');
      without.push(await runPhase(`round ${round}: no Subscription`, `A${round}`, seconds, token(), pids));
      await setSubscription(medplum, subscription.id as string, 'active');
      const before = receivedB;
      const phase = await runPhase(`round ${round}: one catch-all rest-hook Subscription`, `B${round}`, seconds, token(), pids);
      withSub.push(phase);
      const loadEnded = Date.now();
      await drain(() => receivedB - before >= phase.created, 180_000);
      drainMs = Math.max(drainMs, lastReceiptAt - loadEnded);
      auditCatchUpMs = Math.max(auditCatchUpMs, await untilAudited(medplum, receipts, 300_000) - loadEnded);
    }

    const sorted = [...lags].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
    const rate = (phases: Phase[]) => phases.reduce((sum, p) => sum + p.created, 0) / (phases.length * seconds);
    const ratio = rate(withSub) / rate(without);
    const createTable = markdownTable(
      ['phase', 'creates', 'creates/s', 'p50 ms', 'p99 ms', 'errors', 'hub CPU %', 'bots CPU %', 'PostgreSQL CPU %', 'RabbitMQ CPU %', 'load avg'],
      [...without, ...withSub]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((p) => [p.name, p.created, p.perSecond, p.p50, p.p99, p.errors, p.cpu.hub, p.cpu.bots, p.cpu.postgres, p.cpu.rabbitmq, p.loadAverage]),
    );
    const lagTable = markdownTable(
      ['creates/s without', 'creates/s with', 'with / without', 'deliveries', 'lag p50 ms', 'lag p95 ms', 'lag p99 ms', 'lag max ms', 'delivered after load ms', 'AuditEvents stored after load ms', 'A-phase deliveries (must be 0)'],
      [[Math.round(rate(without)), Math.round(rate(withSub)), `${Math.round(ratio * 100)} %`, sorted.length, pct(50), pct(95), pct(99), sorted.at(-1) ?? Number.NaN, drainMs, auditCatchUpMs, receivedA]],
    );
    const verdict = `Floor: rate ≥ 75 % of no-Subscription rate: ${ratio >= 0.75 ? 'met' : 'NOT met'}; lag p99 < 100 ms: ${pct(99) < 100 ? 'met' : 'NOT met'}.`;
    process.stdout.write(`${createTable}\n\n${lagTable}\n\n${verdict}\n`);
    if (!values['dry-run']) {
      await recordResults(
        'subscriptions',
        `node bench/subscriptions/run.ts --seconds ${seconds} --rounds ${rounds} --connections ${connections}`,
        `${createTable}\n\n${lagTable}`,
        `${verdict} Lag = receipt at the loopback receiver minus the Patient's meta.lastUpdated. Every delivery also gets an AuditEvent in the hub (written one batch at a time from the bots.audit queue; last column: when the hub held all of them). ` +
          'Peer (Medplum 5.0.10, same machine class): 137–157 creates/s with one Subscription (about 450 without), lag p99 165–301 ms. CPU % is of one core.',
      );
    }
  } finally {
    for (const child of [bots, hub]) {
      if (!child || child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await receiver.close();
    await pg.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await pg.end();
    await vhost.remove();
    await rm(dir, { recursive: true, force: true });
  }
}

async function runPhase(name: string, mark: string, duration: number, token: string, pids: { hub: number; bots: number }): Promise<Phase> {
  process.stderr.write(`bench: ${name} for ${duration}s at ${connections} connections...\n`);
  let counter = 0;
  const { result, cpuPercent } = await measureCpu(
    {
      hub: () => [pids.hub],
      bots: () => [pids.bots],
      postgres: () => pidsByName('postgres'),
      rabbitmq: () => pidsByName('beam.smp'),
    },
    () =>
      autocannon({
        url: `${base}fhir/R4/Patient`,
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
        connections,
        duration,
        requests: [{ setupRequest: ((req: any) => ({ ...req, body: patientBody(mark, counter++) })) as any }],
      }) as Promise<autocannon.Result>,
  );
  return {
    name,
    created: result['2xx'],
    perSecond: Math.round(result['2xx'] / duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    cpu: cpuPercent,
    loadAverage: loadavg()[0].toFixed(1),
  };
}

/** When the hub holds a successful rest-hook AuditEvent for each of `count` deliveries (the audit trail has caught up). */
async function untilAudited(medplum: MedplumClient, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bundle = await medplum.search('AuditEvent', { type: '110106', outcome: '0', _summary: 'count' });
    if ((bundle.total ?? 0) >= count) return Date.now();
    if (Date.now() > deadline) throw new Error(`only ${bundle.total} of ${count} delivery AuditEvents stored after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Sets the Subscription's status and waits until the hub acts on it (probes for `active`, a quiet probe for `off`). */
async function setSubscription(medplum: MedplumClient, id: string, status: 'active' | 'off'): Promise<void> {
  await medplum.patchResource('Subscription', id, [{ op: 'replace', path: '/status', value: status }]);
  for (let i = 0; i < 100; i++) {
    const before = receivedProbe;
    await medplum.createResource({ resourceType: 'Patient', identifier: [{ system: MARK, value: `P-${status}-${i}` }] });
    await new Promise((resolve) => setTimeout(resolve, status === 'active' ? 200 : 1500));
    if ((receivedProbe > before) === (status === 'active')) return;
  }
  throw new Error(`the hub did not act on Subscription status ${status}`);
}

/** Starts the receiver process; its reports update the counters above. */
function startReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const child = fork(new URL('./receiver.ts', import.meta.url), [MARK], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message: { type: string; port?: number; mark?: string; at?: number; lag?: number; error?: string }) => {
      if (message.type === 'listening') {
        resolve({
          url: `http://127.0.0.1:${message.port}/`,
          close: async () => {
            const exited = new Promise((done) => child.once('exit', done));
            child.disconnect();
            await exited;
          },
        });
      } else if (message.type === 'receipt') {
        const mark = message.mark ?? '';
        lastReceiptAt = message.at ?? Date.now();
        receipts++;
        if (mark.startsWith('P-')) receivedProbe++;
        if (mark.startsWith('A')) receivedA++;
        if (mark.startsWith('B')) {
          receivedB++;
          lags.push(message.lag ?? Number.NaN);
        }
      } else {
        process.stderr.write(`bench receiver: unreadable delivery: ${message.error}\n`);
      }
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
}

async function drain(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = Date.now();
  let last = lastReceiptAt;
  for (;;) {
    if (lastReceiptAt !== last) {
      last = lastReceiptAt;
      quietSince = Date.now();
    }
    if (done() && Date.now() - quietSince > 1000) return;
    if (Date.now() > deadline) throw new Error(`deliveries did not drain within ${timeoutMs} ms (phase B received ${receivedB})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bot runtime did not start within 60 s')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').split('\n').some((line) => pattern.test(line))) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the bot runtime exited with ${code}`)));
  });
}

async function waitForHealthy(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the hub did not become healthy within 30 s');
}

await main();
