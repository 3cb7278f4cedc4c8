/**
 * Appliance mode end to end: `simpul start` with no database.url and no bus.url (so an embedded
 * PostgreSQL under the data dir and the bus on its tables), an HL7 message over MLLP and a DICOM
 * instance with storescu, then `kill -9` and a second start on the same data: everything is
 * still there, the queues drain, and SIGTERM stops the embedded server too.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readPostmasterPid } from '@simpul/infra';
import { writeTestPart10 } from '@simpul/infra/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('simpul start as an appliance (embedded PostgreSQL, database bus)', () => {
  let dir: string;
  let ports: { hub: number; mllp: number; dicom: number; webhook: number };
  let current: Running | undefined;
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(DATABASE_URL|AMQP_URL|SIMPUL_)/.test(key)));

  function start(): Running {
    const child = spawn(process.execPath, ['bin/simpul.ts', 'start'], { cwd: ROOT, env: { ...env, SIMPUL_CONFIG: path.join(dir, 'simpul.yaml') }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push({ msg: line });
        }
      }
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    void exited.then((code) => {
      if (code !== null && code !== 0) process.stderr.write(`simpul start exited ${code}: ${stderr.slice(-2000)}\n`);
    });
    current = { child, lines, exited };
    return current;
  }

  async function untilUp(running: Running): Promise<Record<string, unknown>> {
    return eventually(
      '"simpul is up"',
      async () => running.lines.find((line) => line.msg === 'simpul is up') ?? (running.child.exitCode !== null ? { exited: running.child.exitCode } : undefined),
      180_000,
    ).then(
      (up) => {
        if ('exited' in up) throw new Error(`simpul start exited with ${String(up.exited)}; last lines: ${JSON.stringify(running.lines.slice(-6))}`);
        return up;
      },
      (error: unknown) => {
        throw new Error(`${(error as Error).message}; last lines: ${JSON.stringify(running.lines.slice(-6))}`);
      },
    );
  }

  async function token(clientId: string, clientSecret: string): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${ports.hub}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function search(accessToken: string, query: string): Promise<unknown[]> {
    const response = await fetch(`http://127.0.0.1:${ports.hub}/fhir/R4/${query}`, { headers: { authorization: `Bearer ${accessToken}` } });
    if (response.status !== 200) throw new Error(`${query}: ${response.status}`);
    return (((await response.json()) as { entry?: { resource: unknown }[] }).entry ?? []).map((entry) => entry.resource);
  }

  function sendMllp(message: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(ports.mllp, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('utf8');
        if (answer.includes('\x1c\r')) {
          socket.end();
          resolve(answer.replaceAll('\x0b', '').replaceAll('\x1c\r', ''));
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(answer));
      socket.write(`\x0b${message}\x1c\r`);
    });
  }

  async function busRows(): Promise<{ work: number; dead: number }> {
    const facts = await readPostmasterPid(path.join(dir, 'pg', 'cluster'));
    const password = (await readFile(path.join(dir, 'pg', 'password'), 'utf8')).trim();
    const sql = postgres({ host: '127.0.0.1', port: facts?.port, user: 'postgres', password, database: 'simpul', max: 1, onnotice: () => undefined });
    try {
      const [row] = await sql<{ work: number; dead: number }[]>`
        SELECT count(*) FILTER (WHERE queue NOT LIKE '%.dead')::int AS work, count(*) FILTER (WHERE queue = 'ingest.dead')::int AS dead FROM simpul_bus.messages`;
      return row;
    } finally {
      await sql.end();
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'simpul-appliance-'));
    await chmod(dir, 0o755); // the embedded server runs as "postgres" when the tests run as root
    ports = { hub: await freePort(), mllp: await freePort(), dicom: await freePort(), webhook: await freePort() };
    await writeFile(
      path.join(dir, 'simpul.yaml'),
      [
        `hub:\n  port: ${ports.hub}`,
        `mllp:\n  port: ${ports.mllp}`,
        `dicom:\n  port: ${ports.dicom}\n  mapping:\n    organizationId: '10000004'`,
        "ingest:\n  hl7Sources:\n    default:\n      organizationId: '10000004'\n      defaultIdentifierSystem: http://sys-ids.kemkes.go.id/mrn/10000004",
        `storage:\n  dir: ${path.join(dir, 'blobs')}`,
        // A webhook source: `simpul start` runs the receiver because one is configured.
        `webhook:\n  port: ${ports.webhook}\n  sources:\n    - name: lab\n      secret: appliance-webhook-secret-0123\n      mapping:\n        resources:\n          - identifier: { system: http://lab.example/mrn, value: '=mrn' }\n            resource: { resourceType: Patient, name: [{ text: '=name' }] }`,
        `database:\n  embedded:\n    dir: ${path.join(dir, 'pg')}`,
        'log:\n  level: info',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    if (process.env.APPLIANCE_TEST_DEBUG) for (const line of current?.lines ?? []) if (["warn", "error", "fatal"].includes(String(line.level))) process.stderr.write(`${JSON.stringify(line).slice(0, 1500)}\n`);
    if (current && current.child.exitCode === null) {
      current.child.kill('SIGKILL');
      await current.exited;
    }
    const facts = await readPostmasterPid(path.join(dir, 'pg', 'cluster'));
    if (facts) {
      try {
        process.kill(facts.pid, 'SIGINT');
        await eventually('the embedded server to stop', async () => !existsSync(path.join(dir, 'pg', 'cluster', 'postmaster.pid')), 30_000);
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('takes HL7 and DICOM, survives kill -9 with everything kept, and drains its queues', { timeout: 480_000 }, async () => {
    const first = start();
    const up = await untilUp(first);
    expect(up).toMatchObject({ fhir: `http://127.0.0.1:${ports.hub}/fhir/R4`, dicomPort: ports.dicom, mllpPorts: { default: ports.mllp }, bus: 'database tables (simpul_bus schema)' });
    expect(String(up.database)).toContain(path.join(dir, 'pg'));
    const created = first.lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('First admin client created'));
    const [, clientId, clientSecret] = /client_id=(\S+) client_secret=(\S+)/.exec(String(created?.msg)) ?? [];
    expect(clientId).toBeTruthy();
    expect(JSON.parse(await readFile(path.join(dir, 'pg', 'admin-client.json'), 'utf8'))).toEqual({ clientId, clientSecret });
    expect((await run('stat', ['-c', '%a', path.join(dir, 'pg', 'admin-client.json')])).stdout.trim()).toBe('600');
    expect(((await readFile(path.join(dir, 'pg', 'password'))).length)).toBeGreaterThan(16);
    expect((await run('stat', ['-c', '%a', path.join(dir, 'pg', 'password')])).stdout.trim()).toBe('600');

    const controlId = `APPL${randomUUID().slice(0, 8)}`;
    const adt = (await readFile(path.join(ROOT, 'adapters/src/ingest/hl7/fixtures/adt-a01-v2.5.1.hl7'), 'utf8'))
      .replace('ADT0001', controlId)
      .replace('|||AL|NE', '') // original acknowledgment mode: AA once the message is durable
      .split(/\r\n|\r|\n/)
      .filter(Boolean)
      .join('\r');
    const ack = await sendMllp(adt);
    expect(ack).toMatch(new RegExp(`MSA\\|AA\\|${controlId}`));
    expect(await sendMllp('not an HL7 message')).not.toMatch(/MSA\|AA/);

    const studyUid = `1.2.826.0.1.3680043.10.1475.${Date.now()}`;
    const file = path.join(dir, 'instance.dcm');
    await writeFile(file, writeTestPart10({ sopInstanceUid: `${studyUid}.1.1`, studyInstanceUid: studyUid, patientId: 'RM-APPL-1' }));
    const sent = await run('storescu', ['-aec', 'SIMPUL', '127.0.0.1', String(ports.dicom), file]);
    expect(sent.stderr).not.toMatch(/E:/);

    const pushed = await fetch(`http://127.0.0.1:${ports.webhook}/ingest/lab`, {
      method: 'POST',
      headers: { authorization: 'Bearer appliance-webhook-secret-0123', 'content-type': 'application/json' },
      body: JSON.stringify({ mrn: 'LAB-APPL-1', name: 'Webhook Patient' }),
    });
    expect(pushed.status).toBe(202);

    let accessToken = await token(clientId, clientSecret);
    const studyQuery = `ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${studyUid}`)}`;
    await eventually('the patient from HL7', async () => (await search(accessToken, 'Patient?identifier=RM00123456')).length === 1);
    await eventually('the ImagingStudy from DICOM', async () => (await search(accessToken, studyQuery)).length === 1);
    await eventually('the patient from the webhook', async () => (await search(accessToken, 'Patient?identifier=LAB-APPL-1')).length === 1);

    first.child.kill('SIGKILL');
    await first.exited;

    const second = start();
    await untilUp(second);
    expect(second.lines.some((line) => typeof line.msg === 'string' && line.msg.startsWith('First admin client created'))).toBe(false);
    accessToken = await token(clientId, clientSecret);
    expect(await search(accessToken, 'Patient?identifier=RM00123456')).toHaveLength(1);
    expect(await search(accessToken, studyQuery)).toHaveLength(1);
    // Messages a killed consumer held come back when their lease runs out; then every work queue is empty.
    await eventually('the queues to drain', async () => (await busRows()).work === 0, 120_000);
    expect((await busRows()).dead).toBe(0);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(existsSync(path.join(dir, 'pg', 'cluster', 'postmaster.pid'))).toBe(false);
  });
});
