/**
 * bench/mllp: how fast the MLLP edge acknowledges, against its two limits, in one run:
 *   1. raw MLLP echo on loopback (the transport limit: an AA per frame, nothing stored);
 *   2. RabbitMQ's own confirmed publish rate (each confirm awaited, then 32 and 100 in flight);
 *   3. Simpul's listener (bus confirm before each ACK) with N ADT^A01 messages, sequential on one
 *      connection and 32 in flight over 8 connections: messages/s to ACK, p50/p99, CPU.
 * The broker's confirm latency (a quorum queue fsyncs) drifts during a run, so the bus and Simpul
 * are measured in short alternating rounds (bus N/R then Simpul N/R, then Simpul first, ...); each
 * side's rounds are added up, and the median of the per-round ratios is shown beside the ratio of
 * the totals. Floor: Simpul's ACK rate (totals) is at least 70% of the bus's in the same mode.
 * Appends its table to bench/mllp/RESULTS.md; exits 1 when the floor is missed.
 *
 *   source scripts/node-env.sh && node bench/mllp/run.ts [--messages 20000] [--rounds 20] [--warmup 1000]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { cpus, loadavg, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Bus, declareTopology, EXCHANGES, newEnvelope } from '@simpul/infra';
import type { Envelope } from '@simpul/infra';
import { createTestVhost } from '@simpul/infra/testing';
import { cpuSeconds, pidsByName } from '../support/process-cpu.ts';
import { markdownTable } from '../support/results.ts';
import { adtA01, controlIdOf } from './adt-messages.ts';
import type { LoadResult, LoadSample } from './mllp-load.ts';
import { runLoad, summarize } from './mllp-load.ts';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '20' }, warmup: { type: 'string', default: '1000' } },
});
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const WARMUP = Number(values.warmup);
const FLOOR = 0.7;
const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

interface Mode {
  name: string;
  connections: number;
  inFlightPerConnection: number;
}

const SEQUENTIAL: Mode = { name: 'sequential, 1 connection', connections: 1, inFlightPerConnection: 1 };
const PIPELINED: Mode = { name: '32 in flight (8 connections × 4)', connections: 8, inFlightPerConnection: 4 };

interface Row {
  what: string;
  mode: string;
  result: LoadResult;
  /** CPU seconds per process group, over the row's rounds. */
  cpu: Record<string, number>;
}

let batchCounter = 0;
function batch(count: number): string[] {
  const runId = `B${(batchCounter++).toString(36)}${Date.now().toString(36).slice(-5)}`;
  return Array.from({ length: count }, (_, i) => adtA01(i, runId));
}

/** Adds up the samples and CPU seconds of several rounds of one kind. */
class Tally {
  readonly samples: LoadSample[] = [];
  readonly cpu: Record<string, number> = {};

  async measure(groups: Record<string, () => number[]>, work: () => Promise<LoadSample>): Promise<void> {
    const before = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, cpuSeconds(pids())]));
    this.samples.push(await work());
    for (const [name, pids] of Object.entries(groups)) this.cpu[name] = (this.cpu[name] ?? 0) + cpuSeconds(pids()) - before[name];
  }

  row(what: string, mode: string): Row {
    const result = summarize(this.samples);
    const cpu = Object.fromEntries(Object.entries(this.cpu).map(([name, seconds]) => [name, Math.round((seconds / result.seconds) * 100)]));
    return { what, mode, result, cpu };
  }
}

/**
 * The bench's own processes run at a raised priority when allowed, so that other work on a shared
 * machine disturbs the measurement less (RabbitMQ is left as it is: both sides depend on it alike).
 */
const BENCH_PRIORITY = -5;
let priorityNote = '';

function raisePriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, BENCH_PRIORITY);
    priorityNote = `bench processes at nice ${BENCH_PRIORITY}`;
  } catch (error) {
    priorityNote = `normal priority (${(error as Error).message})`;
  }
}

async function startServer(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...process.execArgv, SERVE, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  raisePriority(child.pid);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { child, port };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function envelopeFor(text: string): Envelope<string> {
  return newEnvelope({
    kind: 'hl7',
    source: 'bench',
    contentType: 'x-application/hl7-v2+er7',
    body: text,
    headers: { messageType: 'ADT^A01', controlId: controlIdOf(text), version: '2.5.1', sendingFacility: 'RSUD_BANDUNG', sendingApplication: 'SIMRS' },
  });
}

/** Confirmed publishes with `inFlight` outstanding, each envelope built as the listener builds it. */
async function publishLoad(bus: Bus, count: number, inFlight: number): Promise<LoadSample> {
  const messages = batch(count);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < messages.length) {
        const envelope = envelopeFor(messages[next++]);
        const sentAt = performance.now();
        await bus.publish(EXCHANGES.ingest, 'hl7.bench', envelope);
        latencies.push(performance.now() - sentAt);
      }
    }),
  );
  return { latenciesMs: latencies, seconds: (performance.now() - started) / 1000, failures: 0 };
}

function checked(what: string, sample: LoadSample, expected: number): LoadSample {
  if (sample.failures > 0 || sample.latenciesMs.length !== expected) {
    throw new Error(`${what}: ${sample.failures} bad ACKs, ${sample.latenciesMs.length}/${expected} answered`);
  }
  return sample;
}

async function echoRows(): Promise<Row[]> {
  const echo = await startServer(['echo']);
  try {
    await runLoad({ port: echo.port, messages: batch(WARMUP), connections: 1, inFlight: 1 });
    const rows: Row[] = [];
    for (const mode of [SEQUENTIAL, PIPELINED]) {
      process.stderr.write(`bench: raw MLLP echo, ${mode.name}: ${MESSAGES} messages...\n`);
      const tally = new Tally();
      await tally.measure({ server: () => [echo.child.pid as number], client: () => [process.pid] }, async () =>
        checked('echo', await runLoad({ port: echo.port, messages: batch(MESSAGES), connections: mode.connections, inFlight: mode.inFlightPerConnection }), MESSAGES),
      );
      rows.push(tally.row('raw MLLP echo (transport limit)', mode.name));
    }
    return rows;
  } finally {
    await stopServer(echo.child);
  }
}

/** Per mode, the median over rounds of Simpul's rate / the bus's rate in the same round. */
const pairedRatios: number[] = [];

function rate(sample: LoadSample): number {
  return sample.latenciesMs.length / sample.seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function busAndSimpulRows(): Promise<{ bus: Row[]; simpul: Row[] }> {
  const vhost = await createTestVhost('simpul_bench_mllp');
  const bus = await Bus.connect(vhost.url, { connectionName: 'simpul-bench' });
  let simpul: { child: ChildProcess; port: number } | undefined;
  try {
    await declareTopology(bus, { bots: [] });
    simpul = await startServer(['simpul', vhost.url]);
    const server = simpul;
    await publishLoad(bus, WARMUP, 1);
    await runLoad({ port: server.port, messages: batch(WARMUP), connections: 1, inFlight: 1 });
    const groups = { server: () => [server.child.pid as number], rabbitmq: () => pidsByName('beam.smp'), client: () => [process.pid] };
    const busRows: Row[] = [];
    const simpulRows: Row[] = [];
    const perRound = Math.ceil(MESSAGES / ROUNDS);
    for (const mode of [SEQUENTIAL, PIPELINED]) {
      const inFlight = mode.connections * mode.inFlightPerConnection;
      const busTally = new Tally();
      const simpulTally = new Tally();
      const busRound = (): Promise<void> => busTally.measure(groups, () => publishLoad(bus, perRound, inFlight));
      const simpulRound = (): Promise<void> =>
        simpulTally.measure(groups, async () =>
          checked(
            'Simpul',
            await runLoad({ port: server.port, messages: batch(perRound), connections: mode.connections, inFlight: mode.inFlightPerConnection }),
            perRound,
          ),
        );
      for (let round = 1; round <= ROUNDS; round++) {
        // Odd rounds bus first, even rounds Simpul first, so that neither always meets a fuller queue.
        const order = round % 2 === 1 ? [busRound, simpulRound] : [simpulRound, busRound];
        process.stderr.write(`bench: ${mode.name}, round ${round}/${ROUNDS}: ${perRound} messages each to the bus and to Simpul...\n`);
        for (const measureRound of order) await measureRound();
      }
      pairedRatios.push(median(simpulTally.samples.map((sample, i) => rate(sample) / rate(busTally.samples[i]))));
      busRows.push(busTally.row('RabbitMQ confirmed publish (quorum queue)', inFlight === 1 ? 'sequential (each confirm awaited)' : `${inFlight} in flight`));
      simpulRows.push(simpulTally.row('Simpul MLLP listener (ACK after confirm)', mode.name));
    }
    process.stderr.write(`bench: RabbitMQ confirmed publish, 100 in flight: ${MESSAGES} messages...\n`);
    const hundred = new Tally();
    await hundred.measure(groups, () => publishLoad(bus, MESSAGES, 100));
    busRows.push(hundred.row('RabbitMQ confirmed publish (quorum queue)', '100 in flight'));
    return { bus: busRows, simpul: simpulRows };
  } finally {
    if (simpul) await stopServer(simpul.child);
    await bus.close();
    await vhost.remove();
  }
}

async function main(): Promise<number> {
  raisePriority(process.pid);
  const loadBefore = loadavg()[0].toFixed(1);
  const echo = await echoRows();
  const { bus, simpul } = await busAndSimpulRows();
  const ratios = [simpul[0].result.perSecond / bus[0].result.perSecond, simpul[1].result.perSecond / bus[1].result.perSecond];
  const rows = [...echo, ...bus, ...simpul];
  const table = markdownTable(
    ['what', 'mode', 'messages', 'msg/s', 'p50 ms', 'p99 ms', 'server CPU %', 'RabbitMQ CPU %', 'load generator CPU %'],
    rows.map((row) => [row.what, row.mode, row.result.messages, row.result.perSecond, row.result.p50Ms, row.result.p99Ms, row.cpu.server ?? '–', row.cpu.rabbitmq ?? '–', row.cpu.client]),
  );
  const verdict = ratios.every((ratio) => ratio >= FLOOR) ? 'PASS' : 'FAIL';
  const floor =
    `Floor (Simpul ≥ ${FLOOR * 100}% of the bus's confirmed-publish rate in the same mode): ` +
    `sequential ${pct(ratios[0])} (${simpul[0].result.perSecond} vs ${bus[0].result.perSecond}/s), ` +
    `32 in flight ${pct(ratios[1])} (${simpul[1].result.perSecond} vs ${bus[1].result.perSecond}/s): ${verdict}. ` +
    `Median of the per-round ratios: sequential ${pct(pairedRatios[0])}, 32 in flight ${pct(pairedRatios[1])}.`;
  process.stdout.write(`${table}\n\n${floor}\n`);
  if (!existsSync(RESULTS)) {
    await appendFile(RESULTS, '# bench/mllp results\n\nEach section is one run of `node bench/mllp/run.ts`, newest last.\n');
  }
  const machine = `${cpus().length} cores, Node ${process.version}, load average ${loadBefore} at the start and ${loadavg()[0].toFixed(1)} at the end, ${priorityNote}`;
  await appendFile(
    RESULTS,
    `\n## bench/mllp — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n\n` +
      `Command: \`node bench/mllp/run.ts --messages ${MESSAGES} --rounds ${ROUNDS} --warmup ${WARMUP}\` (${machine}; load generator, server and RabbitMQ on one machine)\n\n` +
      `${table}\n\n${floor}\n\nBus and Simpul rows of one mode were measured in ${ROUNDS} alternating rounds. CPU % is of one core, over the row's own time; ` +
      `during bus rows the idle Simpul process is the "server". Simpul runs at log level info, as in production (a stored message is a debug line; warnings would go to /dev/null).\n`,
  );
  return verdict === 'PASS' ? 0 : 1;
}

function pct(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

process.exitCode = await main();
