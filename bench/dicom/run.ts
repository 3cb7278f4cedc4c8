/**
 * bench/dicom: C-STORE throughput and preview latency, Simpul against dcmtk's storescp (the limit of
 * the machine) and Orthanc from Debian (the peer), in one run on the same instances.
 *
 * Each round sends a fresh set of CT-sized instances (512×512, 16-bit, about 0.5 MB) over one
 * association with storescu, TCP_NODELAY on both ends and 128 KiB PDUs, to each receiver in turn.
 * Simpul runs as it would in production: `simpul hub` (PostgreSQL), RabbitMQ, the receiver process, and
 * the ingest + preview workers, so previews are rendered while instances arrive. Measured: instances/s
 * and MB/s per receiver (median of the rounds), the receiver's time per C-STORE, stored → preview
 * linked latency (p50/p99), and the time to fetch a preview: Simpul's pre-rendered Binary against
 * Orthanc's `/instances/{id}/rendered` (as JPEG) of the same kind of instance.
 *
 * Usage: node bench/dicom/run.ts [--instances 200] [--rounds 3] [--pdu 131072] [--fetches 50]
 * Needs dcmtk and Orthanc (`apt-get install dcmtk orthanc`), PostgreSQL and RabbitMQ on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { createTestVhost } from '@simpul/infra/testing';
import { previewBinaryId } from '../../adapters/src/previews/preview-ids.ts';
import { cpuSeconds, pidsByName } from '../support/process-cpu.ts';
import { markdownTable, recordResults } from '../support/results.ts';
import { writeCtSet } from './instances.ts';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    pdu: { type: 'string', default: '131072' },
    fetches: { type: 'string', default: '50' },
  },
});
const INSTANCES = Number(values.instances);
const ROUNDS = Number(values.rounds);
const PDU = Number(values.pdu);
const FETCHES = Number(values.fetches);
const SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
const CLIENT_ID = 'bench-dicom';
const CLIENT_SECRET = 'bench-dicom-secret-0123456789abcdef';
const NODELAY = { ...process.env, TCP_NODELAY: '1' };

interface Round {
  receiver: string;
  seconds: number;
  instancesPerSecond: number;
  megabytesPerSecond: number;
  /** CPU time of the receiving processes per instance (for Simpul: the receiver and RabbitMQ). */
  cpuMsPerInstance: number;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'simpul-bench-dicom-'));
  const children: ChildProcess[] = [];
  const dbName = `simpul_bench_dicom_${Date.now().toString(36)}`;
  const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  const vhost = await createTestVhost('simpul_bench_dicom');
  try {
    // Round r: set r goes to storescp, Orthanc and Simpul with its workers paused; set ROUNDS + r to Simpul
    // with everything running (the preview latencies are taken from those).
    const sets: string[][] = [];
    for (let set = 1; set <= 2 * ROUNDS; set++) sets.push(await writeCtSet(join(work, `set-${set}`), set, INSTANCES));
    const bytes = (await Promise.all(sets[0].map((path) => stat(path)))).reduce((sum, s) => sum + s.size, 0);

    await admin.unsafe(`CREATE DATABASE "${dbName}"`);
    const storage = join(work, 'simpul-store');
    await mkdir(storage);
    const hubPort = await freePort();
    const hubUrl = `http://127.0.0.1:${hubPort}/`;
    const hub = spawn(process.execPath, ['bin/simpul.ts', 'hub'], {
      env: {
        ...process.env,
        DATABASE_URL: `${SERVER}/${dbName}`,
        SIMPUL_HUB_PORT: String(hubPort),
        SIMPUL_STORAGE_DIR: storage,
        SIMPUL_LOG_LEVEL: 'warn',
        SIMPUL_ADMIN_CLIENT_ID: CLIENT_ID,
        SIMPUL_ADMIN_CLIENT_SECRET: CLIENT_SECRET,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(hub);
    await until('the hub', async () => (await fetch(`${hubUrl}healthz`).catch(() => undefined))?.ok === true);

    const workers = spawn(process.execPath, ['bench/dicom/workers-process.ts', vhost.url, hubUrl, CLIENT_ID, CLIENT_SECRET, storage], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(workers);
    const linked: { sop: string; set: number; latencyMs: number; renderMs: number }[] = [];
    const workersReady = lines(workers, (line) => {
      if (line.linked) {
        const sop = line.linked as string;
        linked.push({ sop, set: Number(sop.split('.')[8]), latencyMs: line.latencyMs as number, renderMs: line.renderMs as number });
      }
      return line.ready === true;
    });
    // Heap sized so that garbage collection does not run every few instances (see adapters/README.md).
    const receiver = spawn(process.execPath, ['--initial-old-space-size=256', 'bench/dicom/receiver-process.ts', vhost.url, storage, String(PDU)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(receiver);
    const storedMs: number[] = [];
    let port = 0;
    await lines(receiver, (line) => {
      if (typeof line.stored === 'number') storedMs.push(line.stored);
      if (typeof line.port === 'number') port = line.port;
      return port > 0;
    });
    await workersReady;

    const simpulPids = () => [receiver.pid as number, ...pidsByName('beam.smp')];
    const rounds: Round[] = [];
    let orthancFetch: number[] = [];
    const storedDuring: Record<string, number[]> = { 'Simpul (workers paused)': [], 'Simpul (everything running)': [] };
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push(await storescpRound(work, round, sets[round], bytes));
      const orthanc = await orthancRound(work, round, sets[round], bytes, round === ROUNDS - 1);
      rounds.push(orthanc.round);
      if (orthanc.fetchMs.length > 0) orthancFetch = orthanc.fetchMs;
      // The receiver alone (ingest and previews stopped, as if they ran on another machine): the C-STORE path.
      workers.kill('SIGSTOP');
      let mark = storedMs.length;
      rounds.push(await measured('Simpul (workers paused)', simpulPids(), () => storescu(port, 'SIMPUL', sets[round]), INSTANCES, bytes));
      storedDuring['Simpul (workers paused)'].push(...storedMs.slice(mark));
      workers.kill('SIGCONT');
      await until('the paused round to be ingested and previewed', async () => linked.length >= (2 * round + 1) * INSTANCES, 300_000);
      // Everything on this machine at once: receiver, RabbitMQ, hub, PostgreSQL, ingest and previews.
      mark = storedMs.length;
      rounds.push(await measured('Simpul (everything running)', simpulPids(), () => storescu(port, 'SIMPUL', sets[ROUNDS + round]), INSTANCES, bytes));
      storedDuring['Simpul (everything running)'].push(...storedMs.slice(mark));
      await until('the round to be ingested and previewed', async () => linked.length >= (2 * round + 2) * INSTANCES, 300_000);
    }
    const whileReceiving = linked.filter((l) => l.set > ROUNDS);
    const token = await accessToken(hubUrl);
    const sample = whileReceiving[0].sop;
    const simpulFetch = await timeFetches(`${hubUrl}fhir/R4/Binary/${previewBinaryId(sample)}`, { authorization: `Bearer ${token}`, accept: 'image/jpeg' });

    const summary = ['storescp', 'Orthanc', 'Simpul (workers paused)', 'Simpul (everything running)'].map((name) => {
      const mine = rounds.filter((r) => r.receiver === name);
      const ips = median(mine.map((r) => r.instancesPerSecond));
      return [
        name,
        Math.round(ips),
        median(mine.map((r) => r.megabytesPerSecond)).toFixed(1),
        median(mine.map((r) => r.cpuMsPerInstance)).toFixed(2),
        mine.map((r) => Math.round(r.instancesPerSecond)).join(' / '),
      ];
    });
    const orthancRate = median(rounds.filter((r) => r.receiver === 'Orthanc').map((r) => r.instancesPerSecond));
    const simpulRate = median(rounds.filter((r) => r.receiver === 'Simpul (workers paused)').map((r) => r.instancesPerSecond));
    const simpulFullRate = median(rounds.filter((r) => r.receiver === 'Simpul (everything running)').map((r) => r.instancesPerSecond));
    const throughput = markdownTable(['receiver', 'instances/s (median)', 'MB/s (median)', 'CPU ms per instance (median)', 'each round'], summary);
    const latencies = whileReceiving.map((l) => l.latencyMs);
    const paused = storedDuring['Simpul (workers paused)'];
    const running = storedDuring['Simpul (everything running)'];
    const previews = markdownTable(
      ['measure', 'p50 ms', 'p99 ms'],
      [
        ['Simpul C-STORE, first PDV to response (workers paused)', pct(paused, 0.5).toFixed(1), pct(paused, 0.99).toFixed(1)],
        ['Simpul C-STORE, first PDV to response (everything running)', pct(running, 0.5).toFixed(1), pct(running, 0.99).toFixed(1)],
        ['stored → preview linked (while receiving at full rate)', Math.round(pct(latencies, 0.5)), Math.round(pct(latencies, 0.99))],
        ['preview render (decode + JPEG, low-priority thread)', pct(whileReceiving.map((l) => l.renderMs), 0.5).toFixed(1), pct(whileReceiving.map((l) => l.renderMs), 0.99).toFixed(1)],
        ['fetch Simpul preview (GET Binary, image/jpeg)', pct(simpulFetch, 0.5).toFixed(1), pct(simpulFetch, 0.99).toFixed(1)],
        ['fetch Orthanc /instances/{id}/rendered (image/jpeg)', pct(orthancFetch, 0.5).toFixed(1), pct(orthancFetch, 0.99).toFixed(1)],
      ],
    );
    const verdict =
      `Simpul/Orthanc = ${(simpulRate / orthancRate).toFixed(2)}× with the workers paused (floor 2×), ` +
      `${(simpulFullRate / orthancRate).toFixed(2)}× with everything running; ${ROUNDS} round(s) of ${INSTANCES} instances of ` +
      `${(bytes / INSTANCES / 1e6).toFixed(2)} MB, PDU ${PDU}; Orthanc with its default fsync (SyncStorageArea), Simpul durable ` +
      `(fsync of file and directory) and confirmed by RabbitMQ before each success, with hub, ingest and preview workers running.`;
    process.stdout.write(`${throughput}\n\n${previews}\n\n${verdict}\n`);
    await recordResults('dicom', `node bench/dicom/run.ts --instances ${INSTANCES} --rounds ${ROUNDS} --pdu ${PDU} --fetches ${FETCHES}`, `${throughput}\n\n${previews}`, verdict);
  } finally {
    for (const child of children.reverse()) await stop(child);
    await vhost.remove().catch(() => undefined);
    await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await rm(work, { recursive: true, force: true });
  }
}

async function storescpRound(work: string, round: number, files: string[], bytes: number): Promise<Round> {
  const port = await freePort();
  const out = join(work, `storescp-${round}`);
  await mkdir(out);
  const scp = spawn('storescp', ['--max-pdu', String(PDU), '-od', out, '-aet', 'STORESCP', String(port)], { env: NODELAY, stdio: 'ignore' });
  try {
    await until('storescp', () => canConnect(port));
    return await measured('storescp', [scp.pid as number], () => storescu(port, 'STORESCP', files), files.length, bytes);
  } finally {
    await stop(scp);
  }
}

async function orthancRound(work: string, round: number, files: string[], bytes: number, fetchRendered: boolean): Promise<{ round: Round; fetchMs: number[] }> {
  const dir = join(work, `orthanc-${round}`);
  await mkdir(dir);
  const [dicomPort, httpPort] = [await freePort(), await freePort()];
  const config = {
    Name: 'bench',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'storage'),
    DicomAet: 'ORTHANC',
    DicomPort: dicomPort,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    MaximumPduLength: PDU,
    StorageCompression: false,
    Plugins: [],
  };
  await writeFile(join(dir, 'orthanc.json'), JSON.stringify(config));
  const orthanc = spawn('Orthanc', [join(dir, 'orthanc.json')], { env: NODELAY, stdio: 'ignore' });
  try {
    await until('Orthanc', async () => (await fetch(`http://127.0.0.1:${httpPort}/system`).catch(() => undefined))?.ok === true);
    const result = await measured('Orthanc', [orthanc.pid as number], () => storescu(dicomPort, 'ORTHANC', files), files.length, bytes);
    let fetchMs: number[] = [];
    if (fetchRendered) {
      const [id] = (await (await fetch(`http://127.0.0.1:${httpPort}/instances`)).json()) as string[];
      fetchMs = await timeFetches(`http://127.0.0.1:${httpPort}/instances/${id}/rendered`, { accept: 'image/jpeg' });
    }
    return { round: result, fetchMs };
  } finally {
    await stop(orthanc);
  }
}

/** storescu over one association; resolves with the wall time in seconds, or throws if any store failed. */
async function storescu(port: number, calledAe: string, files: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn('storescu', ['-R', '--max-pdu', String(PDU), '-aec', calledAe, '127.0.0.1', String(port), ...files], { env: NODELAY, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || /E: /.test(errors)) throw new Error(`storescu to ${calledAe} failed (${code}): ${errors.slice(0, 500)}`);
  return (performance.now() - started) / 1000;
}

async function measured(receiver: string, pids: number[], send: () => Promise<number>, count: number, bytes: number): Promise<Round> {
  const before = cpuSeconds(pids);
  const seconds = await send();
  const cpuMsPerInstance = ((cpuSeconds(pids) - before) * 1000) / count;
  return { receiver, seconds, instancesPerSecond: count / seconds, megabytesPerSecond: bytes / 1e6 / seconds, cpuMsPerInstance };
}

async function timeFetches(url: string, headers: Record<string, string>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= FETCHES; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers });
    const body = Buffer.from(await response.arrayBuffer());
    if (!response.ok || body.length === 0) throw new Error(`GET ${url} answered ${response.status}`);
    // The first fetch warms connections and caches up; it is not counted.
    if (i > 0) times.push(performance.now() - started);
  }
  return times;
}

async function accessToken(hubUrl: string): Promise<string> {
  const response = await fetch(`${hubUrl}oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Reads JSON lines of a child's stdout; resolves when `done` returns true for one. */
function lines(child: ChildProcess, done: (line: Record<string, unknown>) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let finished = false;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      if (done(line) && !finished) {
        finished = true;
        resolve();
      }
    });
    child.once('exit', (code) => {
      if (!finished) reject(new Error(`a benchmark process exited with ${code} before it was ready`));
    });
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function median(numbers: number[]): number {
  return pct(numbers, 0.5);
}

function pct(numbers: number[], fraction: number): number {
  if (numbers.length === 0) return Number.NaN;
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

await main();
