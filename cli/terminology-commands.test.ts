import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildHub, connectDatabase, ensureAdminClient, migrate, type Hub, type Sql } from '@simpul/fhir-hub';
import pino from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  formatTable,
  loadTerminologyIntoHub,
  printTerminologyGaps,
  ProgressBar,
  terminologyGapsCommand,
  terminologyLoadCommand,
  type HubConnection,
  type Output,
} from './terminology-commands.ts';

const SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
const CLIENT_ID = 'terminology-cli-test';
const CLIENT_SECRET = 'a-long-enough-test-secret-for-the-cli-0123456789';
const LAB = 'https://rs-sehat.example/fhir/CodeSystem/lab';
const LOINC = 'http://loinc.org';
const MAP_URL = 'https://rs-sehat.example/fhir/ConceptMap/lab-to-loinc';

class Captured extends Writable {
  text = '';
  isTTY: boolean;
  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

function capture(): Output & { out: Captured; err: Captured } {
  const out = new Captured();
  const err = new Captured();
  return { stdout: out, stderr: err, out, err };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function mapCsv(rows: string[]): string {
  return [`# url: ${MAP_URL}`, `# source: ${LAB}`, 'source_code,source_display,target_system,target_code,target_display,equivalence', ...rows].join('\n');
}

describe('simpul terminology load / gaps against a running hub', () => {
  const dbName = `simpul_cli_term_${Date.now().toString(36)}`;
  let admin: postgres.Sql;
  let sql: Sql;
  let hub: Hub;
  let dir: string;
  let connection: HubConnection;
  let token: string;

  beforeAll(async () => {
    admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE "${dbName}"`);
    sql = connectDatabase({ url: `${SERVER}/${dbName}`, maxConnections: 10 });
    await migrate(sql);
    const logger = pino({ level: 'silent' });
    await ensureAdminClient(sql, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, logger);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}/`;
    hub = await buildHub({
      sql,
      logger,
      baseUrl,
      storageDir: await mkdtemp(join(tmpdir(), 'simpul-cli-term-blobs-')),
      maxBodyBytes: 16 * 1024 * 1024,
      maxBinaryBytes: 16 * 1024 * 1024,
      maxQueryStringLength: 8192,
      auth: { audit: false },
    });
    await hub.app.listen({ port, host: '127.0.0.1' });
    connection = { baseUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
    dir = await mkdtemp(join(tmpdir(), 'simpul-cli-term-'));
    const tokenResponse = await fetch(`${baseUrl}oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
    });
    token = ((await tokenResponse.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await hub?.app.close();
    await sql?.end({ timeout: 5 });
    await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function translateGlucose(): Promise<any> {
    const response = await fetch(`${connection.baseUrl}fhir/R4/ConceptMap/$translate?system=${LAB}&code=GLU-F&targetsystem=${LOINC}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return response.json();
  }

  test('load writes new resources, a second load changes nothing, an edited file updates only its map', async () => {
    const content = join(dir, 'content');
    await rm(content, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(content));
    await writeFile(
      join(content, 'lab.codesystem.json'),
      JSON.stringify({ resourceType: 'CodeSystem', id: 'id-from-the-file', url: LAB, version: '1', status: 'active', content: 'complete', concept: [{ code: 'GLU-F', display: 'Glukosa puasa' }] }),
    );
    await writeFile(join(content, 'lab-to-loinc.csv'), mapCsv([`GLU-F,Glukosa puasa,${LOINC},1558-6,Fasting glucose,equivalent`]));

    const first = capture();
    expect(await loadTerminologyIntoHub({ path: content, connection }, first)).toBe(0);
    expect(first.out.text).toContain('read 2 resource(s)');
    expect(first.out.text).toMatch(/created\s+CodeSystem https:\/\/rs-sehat\.example\/fhir\/CodeSystem\/lab\|1 \(CodeSystem\/[0-9a-f-]{36}\)/);
    expect(first.out.text).toContain('2 resource(s): 2 created, 0 updated, 0 unchanged');
    const translated = await translateGlucose();
    expect(translated.parameter[0]).toEqual({ name: 'result', valueBoolean: true });

    const second = capture();
    expect(await loadTerminologyIntoHub({ path: content, connection }, second)).toBe(0);
    expect(second.out.text).toContain('2 resource(s): 0 created, 0 updated, 2 unchanged');

    await writeFile(join(content, 'lab-to-loinc.csv'), mapCsv([`GLU-F,Glukosa puasa,${LOINC},14771-0,Fasting glucose (moles),equivalent`]));
    const third = capture();
    expect(await loadTerminologyIntoHub({ path: content, connection }, third)).toBe(0);
    expect(third.out.text).toContain('0 created, 1 updated, 1 unchanged');
    expect(third.out.text).toMatch(/updated\s+ConceptMap https:\/\/rs-sehat\.example\/fhir\/ConceptMap\/lab-to-loinc /);
    const after = await translateGlucose();
    expect(JSON.stringify(after)).toContain('14771-0');
  });

  test('a CSV with bad rows lists every bad line and writes nothing', async () => {
    const file = join(dir, 'broken.csv');
    await writeFile(
      file,
      [`# url: https://rs-sehat.example/fhir/ConceptMap/broken`, `# source: ${LAB}`, 'source_code,source_display,target_system,target_code,target_display,equivalence', `A,,${LOINC},1-1,,same`, `B,,${LOINC},,,equivalent`].join('\n'),
    );
    const output = capture();
    expect(await loadTerminologyIntoHub({ path: file, connection }, output)).toBe(1);
    expect(output.err.text).toContain('broken.csv:4');
    expect(output.err.text).toContain('broken.csv:5');
    expect(output.err.text).toContain('nothing was written to the hub');
    const search = await fetch(`${connection.baseUrl}fhir/R4/ConceptMap?url=https://rs-sehat.example/fhir/ConceptMap/broken`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await search.json()) as { entry?: unknown[] }).entry ?? []).toHaveLength(0);
  });

  test('a big file shows progress on stderr (bytes, %, rate), even when it then fails', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => `CODE-${i},Local display number ${i},${LOINC},${i}-0,Target display ${i},equivalent`);
    rows.push(`BAD,,${LOINC},1-1,,same`);
    const file = join(dir, 'big.csv');
    await writeFile(file, mapCsv(rows));
    const output = capture();
    expect(await loadTerminologyIntoHub({ path: file, connection }, output)).toBe(1);
    expect(output.err.text).toMatch(/reading .*big\.csv \[#{24}\] 100% \d+\.\d\/\d+\.\d MiB \d+\.\d MiB\/s/);
    expect(output.err.text).toMatch(/big\.csv:30004: /);
  });

  test('without credentials the hub refuses, and the command says so', async () => {
    const file = join(dir, 'single.csv');
    await writeFile(file, mapCsv([`HB,Hemoglobin,${LOINC},718-7,Hemoglobin,equivalent`]));
    const output = capture();
    expect(await loadTerminologyIntoHub({ path: file, connection: { baseUrl: connection.baseUrl } }, output)).toBe(1);
    expect(output.err.text).toMatch(/failed\s+ConceptMap .*: Unauthorized/);
    expect(output.err.text).toContain('--client-id/--client-secret or SIMPUL_CLIENT_ID/SIMPUL_CLIENT_SECRET');
    await expect(loadTerminologyIntoHub({ path: file, connection: { baseUrl: connection.baseUrl, clientId: CLIENT_ID } }, capture())).rejects.toThrow(
      /both a client id and a client secret/,
    );
  });

  test('gaps prints the report as a table, most frequent first, filtered by system', async () => {
    const posted = await fetch(`${connection.baseUrl}admin/terminology/unmapped`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        entries: [
          { system: LAB, code: 'GLU-F', targetSystem: LOINC, count: 2, firstSeen: '2025-03-01T08:00:00Z', lastSeen: '2025-03-02T08:00:00Z', exampleMessageId: 'msg-a' },
          { system: LAB, code: 'CHOL', display: 'Kolesterol\ttotal', targetSystem: LOINC, count: 7, firstSeen: '2025-03-01T08:00:00Z', lastSeen: '2025-03-01T09:00:00Z', exampleMessageId: 'msg-b' },
          { system: 'urn:other', code: 'X', count: 1, firstSeen: '2025-03-01T08:00:00Z', lastSeen: '2025-03-01T08:00:00Z' },
        ],
      }),
    });
    expect(posted.status).toBe(200);
    const output = capture();
    expect(await printTerminologyGaps({ connection, system: LAB, count: 50, offset: 0 }, output)).toBe(0);
    const lines = output.out.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^COUNT\s+SYSTEM\s+CODE\s+DISPLAY\s+TARGET\s+FIRST SEEN \(UTC\)\s+LAST SEEN \(UTC\)\s+EXAMPLE MESSAGE\s+MAPPED NOW$/);
    expect(lines[1]).toMatch(/^\s*7\s+https:\/\/rs-sehat\.example\/fhir\/CodeSystem\/lab\s+CHOL\s+Kolesterol total\s+http:\/\/loinc\.org\s+2025-03-01 08:00:00\s+2025-03-01 09:00:00\s+msg-b\s+no$/);
    // GLU-F is mapped by the map the first test loaded.
    expect(lines[2]).toMatch(/^\s*2\s+\S+lab\s+GLU-F\s+.*msg-a\s+yes$/);
    expect(output.out.text).not.toContain('urn:other');
    expect(lines.at(-1)).toContain('1-2 of 2');
    const empty = capture();
    expect(await printTerminologyGaps({ connection, system: 'urn:nothing', count: 50, offset: 0 }, empty)).toBe(0);
    expect(empty.out.text).toBe('no unmapped codes reported\n');
    const anonymous = capture();
    expect(await printTerminologyGaps({ connection: { baseUrl: connection.baseUrl }, count: 50, offset: 0 }, anonymous)).toBe(1);
    expect(anonymous.err.text).toContain('the report needs an admin token');
  });

  test('bad arguments are usage errors (exit 2)', async () => {
    const context = { config: {} as never, logger: pino({ level: 'silent' }) };
    const stderrWrite = process.stderr.write;
    let written = '';
    process.stderr.write = ((chunk: string) => {
      written += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await terminologyLoadCommand.run({ ...context, args: [] })).toBe(2);
      expect(await terminologyLoadCommand.run({ ...context, args: ['a', 'b'] })).toBe(2);
      expect(await terminologyLoadCommand.run({ ...context, args: ['a', '--colour', 'red'] })).toBe(2);
      expect(await terminologyGapsCommand.run({ ...context, args: ['--count', '0'] })).toBe(2);
      expect(await terminologyGapsCommand.run({ ...context, args: ['--offset', '-1'] })).toBe(2);
    } finally {
      process.stderr.write = stderrWrite;
    }
    expect(written).toContain('usage: simpul terminology load <file|dir>');
    expect(written).toContain("Unknown option '--colour'");
    expect(written).toContain('--count must be a whole number from 1 to 500');
  });
});

describe('progress bar and table', () => {
  test('a terminal gets one line redrawn in place; a log gets a line per quarter; small files get nothing', () => {
    const tty = new Captured(true);
    const bar = new ProgressBar(tty, 'reading x.csv');
    const total = 8 * 1024 * 1024;
    bar.update(total / 2, total);
    bar.update(total, total);
    bar.finish();
    expect(tty.text.startsWith('\rreading x.csv [############------------]  50% 4.0/8.0 MiB')).toBe(true);
    expect(tty.text).toContain('100% 8.0/8.0 MiB');
    expect(tty.text.endsWith('\n')).toBe(true);

    const log = new Captured(false);
    const logged = new ProgressBar(log, 'reading x.csv');
    for (let done = 0; done <= total; done += total / 64) logged.update(done, total);
    expect(log.text.trimEnd().split('\n').map((line) => line.match(/(\d+)%/)?.[1])).toEqual(['25', '50', '75', '100']);
    expect(log.text).not.toContain('\r');

    const small = new Captured(true);
    new ProgressBar(small, 'small').update(10, 100);
    expect(small.text).toBe('');
  });

  test('table columns are aligned, counts right-aligned, control characters flattened', () => {
    expect(formatTable(['N', 'NAME'], [['7', 'a\nb'], ['120', 'c']])).toBe('  N  NAME\n  7  a b\n120  c\n');
  });
});
