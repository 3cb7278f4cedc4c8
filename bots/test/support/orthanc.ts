import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real PACS for tests: Debian's Orthanc (`/usr/sbin/Orthanc`) on free ports with its own storage in a
 * temporary directory, checking the called AE title and accepting C-STORE from anyone. Start as many as
 * a test needs (fan-out); `stop()` kills the process and removes the storage.
 */

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';

export interface OrthancOptions {
  /** Its DICOM AE title (default ORTHANC). */
  readonly aeTitle?: string;
}

export interface OrthancInstance {
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  /** Orthanc's id of the instance. */
  readonly id: string;
}

export interface TestOrthanc {
  readonly aeTitle: string;
  readonly dicomPort: number;
  readonly httpPort: number;
  readonly url: string;
  /** Every stored instance, from `/tools/find`. */
  instances(): Promise<OrthancInstance[]>;
  /** The stored SOP Instance UIDs. */
  sopInstanceUids(): Promise<string[]>;
  /** Transfer syntax UID the instance was received in (Orthanc's `TransferSyntax` metadata). */
  transferSyntaxOf(sopInstanceUid: string): Promise<string>;
  /** Orthanc's `/statistics`. */
  statistics(): Promise<{ CountInstances: number; TotalDiskSize: string }>;
  /** Removes a stored instance (so a test can tell whether it is sent again). */
  deleteInstance(sopInstanceUid: string): Promise<void>;
  /** Orthanc's log so far (stdout and stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startOrthanc(options: OrthancOptions = {}): Promise<TestOrthanc> {
  const aeTitle = options.aeTitle ?? 'ORTHANC';
  const dir = await mkdtemp(join(tmpdir(), 'simpul-orthanc-'));
  const dicomPort = await freePort();
  const httpPort = await freePort();
  const config = {
    Name: `simpul-test-${aeTitle}`,
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: httpPort,
    HttpServerEnabled: true,
    DicomServerEnabled: true,
    DicomAet: aeTitle,
    DicomPort: dicomPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: true,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowEcho: true,
    Plugins: [],
    StorageCompression: false,
    HttpThreadsCount: 4,
    ConcurrentJobs: 1,
  };
  const configPath = join(dir, 'orthanc.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(ORTHANC_BINARY, [configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${httpPort}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Orthanc exited with code ${child.exitCode} before it answered /system:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/system`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Orthanc did not answer ${url}/system within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const getJson = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${url}${path}`, init);
    if (!response.ok) throw new Error(`Orthanc ${init?.method ?? 'GET'} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };

  const instances = async (): Promise<OrthancInstance[]> => {
    const found = await getJson<Array<{ ID: string; MainDicomTags: Record<string, string>; ParentSeries: string }>>('/tools/find', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Level: 'Instance', Query: {}, Expand: true, RequestedTags: ['StudyInstanceUID', 'SeriesInstanceUID'] }),
    });
    return Promise.all(
      found.map(async (entry) => {
        const tags = await getJson<Record<string, string>>(`/instances/${entry.ID}/tags?simplify`);
        return {
          id: entry.ID,
          sopInstanceUid: entry.MainDicomTags.SOPInstanceUID,
          studyInstanceUid: tags.StudyInstanceUID,
          seriesInstanceUid: tags.SeriesInstanceUID,
        };
      }),
    );
  };

  return {
    aeTitle,
    dicomPort,
    httpPort,
    url,
    instances,
    async sopInstanceUids() {
      return (await instances()).map((instance) => instance.sopInstanceUid).sort();
    },
    async transferSyntaxOf(sopInstanceUid) {
      const match = (await instances()).find((instance) => instance.sopInstanceUid === sopInstanceUid);
      if (!match) throw new Error(`Orthanc ${aeTitle} holds no instance ${sopInstanceUid}`);
      const response = await fetch(`${url}/instances/${match.id}/metadata/TransferSyntax`);
      return (await response.text()).trim();
    },
    statistics: () => getJson('/statistics'),
    async deleteInstance(sopInstanceUid) {
      const match = (await instances()).find((instance) => instance.sopInstanceUid === sopInstanceUid);
      if (!match) throw new Error(`Orthanc ${aeTitle} holds no instance ${sopInstanceUid}`);
      const response = await fetch(`${url}/instances/${match.id}`, { method: 'DELETE' });
      if (!response.ok) throw new Error(`Orthanc DELETE /instances/${match.id} answered ${response.status}`);
    },
    log: () => output,
    stop,
  };
}
