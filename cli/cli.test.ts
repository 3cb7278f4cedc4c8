import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/simpul.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('simpul config check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simpul-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a good file prints the effective config with secrets hidden and exits 0', async () => {
    const file = join(dir, 'good.yaml');
    await writeFile(file, 'hub:\n  port: 9000\ndatabase:\n  url: postgres://simpul:s3cret@db:5432/simpul\n');
    const result = await run(['config', 'check', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"port": 9000');
    expect(result.stdout).toContain('config OK');
    expect(result.stdout).not.toContain('s3cret');
  });

  test('a wrong key or type stops with file, key path, expected and found', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'hub:\n  prot: 9000\n  port: abc\n');
    const result = await run(['config', 'check', file]);
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/bad\.yaml.*hub\.prot.*unknown key/);
    expect(result.stderr).toMatch(/hub\.port.*expected.*found "abc"/);
  });

  test('an unknown command prints usage and fails', async () => {
    const result = await run(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Usage');
  });
});

describe('simpul hub', () => {
  const dbName = `simpul_cli_${Date.now().toString(36)}`;
  let admin: postgres.Sql;
  beforeAll(async () => {
    admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  });
  afterAll(async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  test('migrates an empty database, serves FHIR, and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const storage = await mkdtemp(join(tmpdir(), 'simpul-cli-blobs-'));
    const child = spawn(process.execPath, ['bin/simpul.ts', 'hub'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: `${SERVER}/${dbName}`,
        SIMPUL_HUB_PORT: String(port),
        SIMPUL_STORAGE_DIR: storage,
        AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
        SIMPUL_ADMIN_CLIENT_ID: 'cli-test-admin',
        SIMPUL_ADMIN_CLIENT_SECRET: 'cli-test-secret-0123456789',
      },
    });
    let logs = '';
    child.stdout.on('data', (d) => (logs += d));
    child.stderr.on('data', (d) => (logs += d));
    const base = `http://127.0.0.1:${port}`;
    let healthy = false;
    for (let i = 0; i < 150 && !healthy; i++) {
      healthy = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    expect(healthy).toBe(true);
    const anonymous = await fetch(`${base}/fhir/R4/Patient`);
    expect(anonymous.status).toBe(401);
    const tokenResponse = await fetch(`${base}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'cli-test-admin', client_secret: 'cli-test-secret-0123456789' }),
    });
    expect(tokenResponse.status).toBe(200);
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const created = await fetch(`${base}/fhir/R4/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Cli' }] }),
    });
    expect(created.status).toBe(201);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const started = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(logs).toMatch(/"msg":"FHIR hub ready"/);
    await rm(storage, { recursive: true, force: true });
  });
});
