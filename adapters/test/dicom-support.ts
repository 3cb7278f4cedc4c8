import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { NaturalizedDataset } from 'dcmjs';
import type { Envelope } from '@simpul/infra';
import pino, { type Logger } from 'pino';
import { ctGradient } from '../src/dicom/data/testing/synthetic-images.ts';
import { writeDicomFile } from '../src/dicom/data/write-dicom-file.ts';
import { startDicomScp, type DicomScp, type DicomScpConfig } from '../src/dicom/scp/dicom-scp.ts';
import { BackgroundIngestBus } from '../src/edge/background-ingest-bus.ts';
import type { InstancePublisher } from '../src/dicom/scp/store-instance.ts';
import type { StoreOutcome } from '../src/dicom/scp/store-status.ts';

/** Test support for the DICOM receiver: a receiver on port 0, dcmtk peers, and synthetic studies. */

const run = promisify(execFile);

export const SCP_AE = 'SIMPUL';

/** Every log line of a receiver, for asserting that refusals are logged with their reason. */
export class LogLines {
  readonly lines: Record<string, unknown>[] = [];
  readonly logger: Logger;

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) this.lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    this.logger = pino({ level: 'debug' }, sink);
  }

  matching(pattern: RegExp): Record<string, unknown>[] {
    return this.lines.filter((line) => pattern.test(JSON.stringify(line)));
  }
}

/** Keeps what the receiver publishes; can be told to fail (the bus is down). */
export class CapturingPublisher implements InstancePublisher {
  readonly published: { routingKey: string; envelope: Envelope }[] = [];
  failWith: Error | undefined;

  async publish(_exchange: string, routingKey: string, envelope: Envelope): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push({ routingKey, envelope });
  }
}

export interface TestScp {
  readonly scp: DicomScp;
  readonly storageDir: string;
  readonly outcomes: StoreOutcome[];
  readonly logs: LogLines;
  close(): Promise<void>;
}

/** The receiver settings every test starts from: loopback on a free port, small PDUs and files. */
export function testScpConfig(overrides: Partial<DicomScpConfig> = {}): DicomScpConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    aeTitle: SCP_AE,
    allowedCallingAeTitles: [],
    maxPduLength: 131072,
    maxAssociations: 16,
    maxInstanceBytes: 64 * 1024 * 1024,
    idleTimeoutSeconds: 30,
    timeZone: 'Asia/Jakarta',
    ...overrides,
  };
}

export interface BusReceiver {
  readonly scp: DicomScp;
  close(): Promise<void>;
}

/** A receiver that publishes to a real RabbitMQ (the vhost at `busUrl`), as `simpul dicom` does. */
export async function startBusReceiver(busUrl: string, storageDir: string): Promise<BusReceiver> {
  const receiverBus = new BackgroundIngestBus(busUrl, silentLogger, { connectionName: 'simpul-dicom-test', whileDown: 'C-STOREs are answered 0xA700' });
  await eventually('the receiver bus to connect', () => receiverBus.ready);
  const scp = await startDicomScp({ config: testScpConfig(), storageDir, publisher: receiverBus, logger: silentLogger });
  return {
    scp,
    async close() {
      await scp.close();
      await receiverBus.close();
    },
  };
}

export async function startTestScp(publisher: InstancePublisher, config: Partial<DicomScpConfig> = {}): Promise<TestScp> {
  const storageDir = await mkdtemp(join(tmpdir(), 'simpul-scp-test-'));
  const logs = new LogLines();
  const outcomes: StoreOutcome[] = [];
  const scp = await startDicomScp({
    config: testScpConfig(config),
    storageDir,
    publisher,
    logger: logs.logger,
    onStored: (outcome) => outcomes.push(outcome),
  });
  return {
    scp,
    storageDir,
    outcomes,
    logs,
    async close() {
      await scp.close();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

export interface DcmtkResult {
  readonly code: number;
  readonly output: string;
}

/** Runs a dcmtk tool (storescu, echoscu) with TCP_NODELAY, as a modality would; never throws on a non-zero exit. */
export async function dcmtk(tool: 'storescu' | 'echoscu' | 'dcmsend', args: readonly string[]): Promise<DcmtkResult> {
  try {
    const { stdout, stderr } = await run(tool, [...args], { env: { ...process.env, TCP_NODELAY: '1' }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (failed.code === 'ENOENT') throw new Error(`these tests need Debian's dcmtk (apt-get install dcmtk): ${tool} is not on the PATH`, { cause: error });
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}${failed.message}` };
  }
}

/** storescu sending `files` on one association, proposing each file's own transfer syntax (-R). */
export function storescu(port: number, files: readonly string[], extra: readonly string[] = [], callingAe = 'STORESCU'): Promise<DcmtkResult> {
  return dcmtk('storescu', ['-R', '-aet', callingAe, '-aec', SCP_AE, ...extra, '127.0.0.1', String(port), ...files]);
}

export interface StudyOptions {
  readonly studyUid: string;
  readonly series: number;
  readonly instancesPerSeries: number;
  readonly patientId?: string;
  readonly issuer?: string;
  readonly accessionNumber?: string;
  readonly size?: number;
}

/** A CT study as Part 10 files (64×64 by default), one directory per series. */
export async function writeStudy(dir: string, options: StudyOptions): Promise<{ files: string[]; bySeries: string[][] }> {
  const bySeries: string[][] = [];
  for (let s = 1; s <= options.series; s++) {
    const seriesDir = join(dir, `series-${s}`);
    await mkdir(seriesDir, { recursive: true });
    const files: string[] = [];
    for (let i = 1; i <= options.instancesPerSeries; i++) {
      const dataset = studyInstance(options, s, i);
      const path = join(seriesDir, `${i}.dcm`);
      await writeFile(path, writeDicomFile(dataset));
      files.push(path);
    }
    bySeries.push(files);
  }
  return { files: bySeries.flat(), bySeries };
}

export function studyInstance(options: StudyOptions, series: number, instance: number): NaturalizedDataset {
  const size = options.size ?? 64;
  return {
    ...ctGradient({ rows: size, columns: size }),
    StudyInstanceUID: options.studyUid,
    SeriesInstanceUID: `${options.studyUid}.${series}`,
    SOPInstanceUID: `${options.studyUid}.${series}.${instance}`,
    SeriesNumber: series,
    InstanceNumber: instance,
    PatientID: options.patientId ?? 'RM-0001',
    ...(options.issuer ? { IssuerOfPatientID: options.issuer } : {}),
    PatientName: [{ Alphabetic: 'Santoso^Budi' }],
    PatientBirthDate: '19800817',
    PatientSex: 'M',
    ...(options.accessionNumber ? { AccessionNumber: options.accessionNumber } : {}),
    StudyDate: '20250909',
    StudyTime: '141730',
    StudyDescription: 'CT THORAX',
    Modality: 'CT',
  };
}

/** The data set bytes of a Part 10 file (what went over the network), after its file meta group. */
export async function datasetOf(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  const groupLength = bytes.readUInt32LE(132 + 8);
  return bytes.subarray(132 + 12 + groupLength);
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Waits until `check` holds (polling, as the work happens in other processes), or fails with `what`. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const silentLogger = pino({ level: 'silent' });
