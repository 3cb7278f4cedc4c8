import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './orthanc.ts';

/** dcmtk's storescp as a peer for the failure paths Orthanc cannot produce on demand. */
export interface Storescp {
  readonly port: number;
  readonly outputDir: string;
  /** Associations it accepted so far. */
  acknowledged(): number;
  /** SOP Instance UIDs of the files it wrote (its file names are `<modality>.<sop uid>`). */
  stored(): Promise<string[]>;
  /** From now on it cannot write its output file, so it answers every C-STORE with 0xA700. */
  runOutOfResources(): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `storescp` (AE title STORESCP) on a free port, writing under a fresh directory in `root`. */
export async function startStorescp(root: string, flags: readonly string[] = []): Promise<Storescp> {
  const port = await freePort();
  const outputDir = await mkdtemp(join(root, 'out-'));
  const child: ChildProcess = spawn('storescp', ['-v', '-aet', 'STORESCP', '--output-directory', outputDir, ...flags, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`storescp did not start on port ${port}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    outputDir,
    acknowledged: () => output.split('Association Acknowledged').length - 1,
    stored: async () => (await readdir(outputDir).catch(() => [] as string[])).map((name) => name.replace(/^[A-Z]+\./, '')).sort(),
    runOutOfResources: async () => {
      await rm(outputDir, { recursive: true });
      await writeFile(outputDir, 'not a directory');
    },
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
