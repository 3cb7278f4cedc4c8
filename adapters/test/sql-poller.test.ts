import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, declareTopology, sqlConfigSchema, type Envelope, type Subscription } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test as baseTest } from 'vitest';

const test = (name: string, fn: () => Promise<void>) => baseTest(name, fn, 180_000);
import { createV2TableTranslator } from '../src/ingest/hl7/index.ts';
import { createHubClient, createIngestHandler } from '../src/ingest/worker/index.ts';
import type { TemplateSources } from '../src/ingest/worker/ingest-template.ts';
import { compileTemplate } from '../src/mapping/index.ts';
import { SqlPoller, WatermarkStore } from '../src/sql/index.ts';
import { startHubProcess, type HubProcess } from './support/hub-process.ts';
import { createLegacyDb, TcpProxy, TEST_DRIVERS, viaProxy, type LegacyTestDb } from './sql-support.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const MRN_SYSTEM = 'http://sys-ids.kemkes.go.id/mrn/10000004';
const ACSN_SYSTEM = 'http://sys-ids.kemkes.go.id/acsn/10000004';
const WAIT = { timeout: 60_000, interval: 100 };

const patientTemplate = {
  messageType: 'patient',
  patientKey: '=mrn',
  resources: [
    {
      name: 'patient',
      identifier: { system: MRN_SYSTEM, value: '=mrn' },
      resource: {
        resourceType: 'Patient',
        name: [{ text: '=name' }],
        birthDate: '=$date(birth_date)',
        telecom: [{ system: 'phone', value: '=phone ? $string($number(phone)) : undefined' }],
      },
    },
  ],
};

const orderTemplate = {
  messageType: 'order',
  patientKey: '=mrn',
  resources: [
    { name: 'patient', method: 'create', identifier: { system: MRN_SYSTEM, value: '=mrn' }, resource: { resourceType: 'Patient' } },
    {
      identifier: { system: ACSN_SYSTEM, value: '=accession' },
      resource: { resourceType: 'ServiceRequest', status: '=status', intent: 'order', subject: { reference: "=$ref('patient')" }, code: { text: '=code' } },
    },
  ],
};

let hub: HubProcess;
let vhost: TestVhost;
let bus: Bus;
let store: WatermarkStore;
let consumer: Subscription;
const templates: TemplateSources = { sql: {} };
/** Deliveries per envelope id, as the ingest queue handed them out. */
const deliveries = new Map<string, number>();

beforeAll(async () => {
  hub = await startHubProcess();
  vhost = await createTestVhost('simpul_sql');
  bus = await Bus.connect(vhost.url, { connectionName: 'sql-test' });
  await declareTopology(bus, { bots: [] });
  store = new WatermarkStore(hub.databaseUrl);
  const client = await createHubClient({ baseUrl: hub.url, clientId: hub.adminClientId, clientSecret: hub.adminClientSecret });
  const handler = createIngestHandler({ hub: client, logger, hl7Sources: {}, translator: createV2TableTranslator(), maxAttempts: 3, duplicateWindowMs: 1000, templates });
  consumer = await bus.consume(
    'ingest',
    async (envelope: Envelope) => {
      deliveries.set(envelope.id, (deliveries.get(envelope.id) ?? 0) + 1);
      await handler.handle(envelope);
    },
    { prefetch: 8 },
  );
}, 120_000);

afterAll(async () => {
  await consumer?.close();
  await bus?.close();
  await store?.close();
  await vhost?.remove();
  await hub?.stop();
});

function sourceConfig(name: string, db: { driver: string; url: string }, table: string, extra: Record<string, unknown> = {}) {
  const [source] = sqlConfigSchema.parse({
    sources: [
      {
        name,
        driver: db.driver,
        url: db.url,
        query: `SELECT id, mrn, name, birth_date, phone, updated_at FROM ${table}`,
        watermark: { column: 'updated_at', key: 'id' },
        batchSize: 4,
        intervalSeconds: 0.2,
        backoff: { initialSeconds: 0.1, maxSeconds: 0.5 },
        mapping: patientTemplate,
        ...extra,
      },
    ],
  }).sources;
  templates.sql![name] = compileTemplate(source.mapping, name);
  return source;
}

async function patientsByMrnPrefix(prefix: string): Promise<Map<string, { count: number; name?: string; id: string }>> {
  const rows = await hub.sql<{ id: string; content: string }[]>`
    SELECT id, content FROM resource WHERE resource_type = 'Patient' AND NOT deleted AND content LIKE ${`%"${prefix}%`}`;
  const byMrn = new Map<string, { count: number; name?: string; id: string }>();
  for (const row of rows) {
    const patient = JSON.parse(row.content) as { identifier?: Array<{ system?: string; value?: string }>; name?: Array<{ text?: string }> };
    const mrn = patient.identifier?.find((i) => i.system === MRN_SYSTEM)?.value ?? '';
    const seen = byMrn.get(mrn);
    byMrn.set(mrn, { count: (seen?.count ?? 0) + 1, name: patient.name?.[0]?.text, id: row.id });
  }
  return byMrn;
}

async function messagesOf(source: string) {
  return hub.sql<{ id: string; status: string; error: string | null; control_id: string }[]>`
    SELECT id, status, error, control_id FROM message WHERE kind = 'sql' AND source = ${source}`;
}

function patientRows(prefix: string, from: number, to: number, updatedAt: string, extra = ''): string {
  const rows = [];
  for (let id = from; id <= to; id++) rows.push(`(${id}, '${prefix}${id}', 'Pasien ${id}', '1980-01-${String((id % 28) + 1).padStart(2, '0')}', '0812${id}', '${updatedAt}'${extra})`);
  return rows.join(', ');
}

describe.each(TEST_DRIVERS)('SQL poller against %s', (driver) => {
  let db: LegacyTestDb;
  const prefix = `${driver.toUpperCase()}-P-`;

  beforeAll(async () => {
    db = await createLegacyDb(driver);
    for (const table of ['patients', 'crash_patients', 'drift_patients', 'proxy_patients']) {
      await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, mrn VARCHAR(40) NOT NULL, name VARCHAR(100), birth_date DATE, phone VARCHAR(20), updated_at ${db.timestampType} NOT NULL)`);
    }
    await db.exec(`CREATE TABLE orders (id INT PRIMARY KEY, patient_id INT NOT NULL, accession VARCHAR(40) NOT NULL, code VARCHAR(40), status VARCHAR(20) NOT NULL, updated_at ${db.timestampType} NOT NULL)`);
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  test('rows inserted and updated while polling reach the hub once each, ties on the watermark included', async () => {
    const source = sourceConfig(`${driver}-patients`, db, 'patients');
    // 30 rows with one and the same updated_at: only the key tells them apart.
    await db.exec(`INSERT INTO patients VALUES ${patientRows(prefix, 1, 30, '2024-01-01 00:00:00.000001')}`);
    const poller = new SqlPoller({ sources: [source], publisher: bus, store, logger });
    poller.start();
    try {
      await expect.poll(async () => (await store.load(source.name)).rowsPublished, WAIT).toBeGreaterThanOrEqual(8);
      await db.exec(`INSERT INTO patients VALUES ${patientRows(prefix, 31, 40, '2024-01-01 00:00:00.000002')}`);
      await db.exec(`UPDATE patients SET name = 'Diubah', updated_at = '2024-01-02 00:00:00.5' WHERE id IN (2, 5)`);
      await expect.poll(async () => (await store.load(source.name)).rowsPublished, WAIT).toBe(42);
      await expect.poll(async () => (await messagesOf(source.name)).filter((m) => m.status === 'stored').length, WAIT).toBe(42);
    } finally {
      await poller.close();
    }
    const patients = await patientsByMrnPrefix(prefix);
    expect(patients.size).toBe(40);
    expect([...patients.values()].every((p) => p.count === 1)).toBe(true);
    expect(patients.get(`${prefix}2`)?.name).toBe('Diubah');
    expect(patients.get(`${prefix}5`)?.name).toBe('Diubah');
    expect(patients.get(`${prefix}7`)?.name).toBe('Pasien 7');
    const messages = await messagesOf(source.name);
    expect(new Set(messages.map((m) => m.id)).size).toBe(42);
    expect(messages.filter((m) => m.control_id === '2')).toHaveLength(2);
    expect(messages.every((m) => deliveries.get(m.id) === 1)).toBe(true);
    expect(poller.status()[0].watermark).toMatchObject({ key: 5 });
    expect(String(poller.status()[0].watermark?.value)).toMatch(/^2024-01-02 00:00:00\.5/);
  });

  test('orders joined to their patients become ServiceRequests referring to that Patient', async () => {
    const [source] = sqlConfigSchema.parse({
      sources: [
        {
          name: `${driver}-orders`,
          driver,
          url: db.url,
          query: 'SELECT o.id, o.accession, o.code, o.status, o.updated_at, p.mrn FROM orders o JOIN patients p ON p.id = o.patient_id',
          watermark: { column: 'updated_at', key: 'id' },
          batchSize: 2,
          intervalSeconds: 0.2,
          mapping: orderTemplate,
        },
      ],
    }).sources;
    templates.sql![source.name] = compileTemplate(orderTemplate, source.name);
    await db.exec(`INSERT INTO orders VALUES (1, 3, '${prefix}ACC-1', 'CT-HEAD', 'active', '2024-02-01 10:00:00'), (2, 3, '${prefix}ACC-2', 'XR-THX', 'active', '2024-02-01 10:00:00'), (3, 4, '${prefix}ACC-3', 'US-ABD', 'active', '2024-02-01 10:00:00')`);
    const poller = new SqlPoller({ sources: [source], publisher: bus, store, logger });
    poller.start();
    try {
      await expect.poll(async () => (await messagesOf(source.name)).filter((m) => m.status === 'stored').length, WAIT).toBe(3);
    } finally {
      await poller.close();
    }
    const orders = await hub.sql<{ content: string }[]>`SELECT content FROM resource WHERE resource_type = 'ServiceRequest' AND NOT deleted AND content LIKE ${`%${prefix}ACC-%`}`;
    expect(orders).toHaveLength(3);
    const patients = await patientsByMrnPrefix(prefix);
    const subjects = orders.map((o) => (JSON.parse(o.content) as { subject: { reference: string } }).subject.reference).sort();
    expect(subjects).toEqual([`Patient/${patients.get(`${prefix}3`)?.id}`, `Patient/${patients.get(`${prefix}3`)?.id}`, `Patient/${patients.get(`${prefix}4`)?.id}`].sort());
    // The thin Patient of an order never replaced the richer one the patients source wrote.
    expect(patients.get(`${prefix}3`)?.name).toBe('Pasien 3');
  });

  test('a mapping expression that throws is recorded in the message store naming the template path and the row key', async () => {
    const source = sourceConfig(`${driver}-patients`, db, 'patients');
    await db.exec(`INSERT INTO patients VALUES (99, '${prefix}99', 'Nomor Salah', '1970-01-01', 'bukan-nomor', '2024-03-01 00:00:00')`);
    const poller = new SqlPoller({ sources: [source], publisher: bus, store, logger });
    poller.start();
    try {
      await expect.poll(async () => (await messagesOf(source.name)).find((m) => m.control_id === '99')?.status, WAIT).toBe('error');
    } finally {
      await poller.close();
    }
    const failed = (await messagesOf(source.name)).find((m) => m.control_id === '99');
    expect(failed?.error).toContain('resources[0].resource.telecom[0].value');
    expect(failed?.error).toContain('row key 99');
    expect(failed?.error).toContain('$number(phone)');
    expect((await patientsByMrnPrefix(`${prefix}99`)).size).toBe(0);
  });

  test('a crash between batches (the poller process killed) re-reads at most one batch and duplicates nothing in the hub', async () => {
    const crashPrefix = `${driver.toUpperCase()}-C-`;
    const total = 300;
    await db.exec(`INSERT INTO crash_patients VALUES ${patientRows(crashPrefix, 1, total, '2024-01-01 00:00:00')}`);
    const source = sourceConfig(`${driver}-crash`, db, 'crash_patients', { batchSize: 3 });
    const dir = await mkdtemp(join(tmpdir(), 'simpul-sql-crash-'));
    try {
      // YAML is a superset of JSON.
      await writeFile(join(dir, 'simpul.yaml'), JSON.stringify({ sql: { sources: [{ ...source, mapping: patientTemplate }] } }));
      const child = spawn(process.execPath, ['bin/simpul.ts', 'sql'], {
        cwd: ROOT,
        env: { ...process.env, SIMPUL_CONFIG: join(dir, 'simpul.yaml'), AMQP_URL: vhost.url, DATABASE_URL: hub.databaseUrl, SIMPUL_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await expect.poll(async () => (await store.load(source.name)).rowsPublished, { timeout: 60_000, interval: 10 }).toBeGreaterThanOrEqual(30);
      child.kill('SIGKILL');
      await exited;
      const atKill = (await store.load(source.name)).rowsPublished;
      expect(atKill, 'the poller finished before it was killed; the crash was not mid-run').toBeLessThan(total);

      const poller = new SqlPoller({ sources: [source], publisher: bus, store, logger });
      poller.start();
      try {
        await expect.poll(async () => (await messagesOf(source.name)).filter((m) => m.status === 'stored').length, WAIT).toBe(total);
      } finally {
        await poller.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const patients = await patientsByMrnPrefix(crashPrefix);
    expect(patients.size).toBe(total);
    expect([...patients.values()].every((p) => p.count === 1)).toBe(true);
    const messages = await messagesOf(source.name);
    expect(messages).toHaveLength(total);
    // Rows published before the kill but after the last saved watermark come again, with the same ids: at most one batch.
    const redelivered = messages.filter((m) => (deliveries.get(m.id) ?? 0) > 1);
    expect(redelivered.length).toBeLessThanOrEqual(source.batchSize);
  });

  test('a column dropped mid-run stops the source with an error naming the column, and the watermark does not move; fixed, it resumes', async () => {
    const source = sourceConfig(`${driver}-drift`, db, 'drift_patients', {
      query: 'SELECT * FROM drift_patients',
      expectedColumns: { mrn: 'string', name: 'string', phone: 'integer', updated_at: 'timestamp' },
    });
    const driftPrefix = `${driver.toUpperCase()}-D-`;
    await db.exec(`INSERT INTO drift_patients VALUES ${patientRows(driftPrefix, 1, 3, '2024-01-01 00:00:00')}`);
    const poller = new SqlPoller({ sources: [source], publisher: bus, store, logger });
    poller.start();
    try {
      await expect.poll(async () => (await store.load(source.name)).rowsPublished, WAIT).toBe(3);
      const before = (await store.load(source.name)).position;
      await db.exec('ALTER TABLE drift_patients DROP COLUMN name');
      await db.exec(`INSERT INTO drift_patients (id, mrn, birth_date, phone, updated_at) VALUES (4, '${driftPrefix}4', '1990-01-01', '0813', '2024-01-05 00:00:00')`);
      await expect.poll(() => poller.status()[0].state, WAIT).toBe('schema-drift');
      const status = poller.status()[0];
      expect(status.lastError).toContain(`sql source "${source.name}"`);
      expect(status.lastError).toContain('column "name"');
      expect(poller.healthy()).toBe(false);
      expect((await store.load(source.name)).position).toEqual(before);

      // A value of the wrong type stops at that row: the rows before it go through, the watermark stops just before it.
      await db.exec(`ALTER TABLE drift_patients ADD COLUMN name VARCHAR(100)`);
      await db.exec(`UPDATE drift_patients SET name = 'Kembali' WHERE id = 4`);
      await db.exec(`INSERT INTO drift_patients (id, mrn, name, birth_date, phone, updated_at) VALUES (5, '${driftPrefix}5', 'Teks', '1990-01-01', 'abc', '2024-01-06 00:00:00')`);
      await expect.poll(async () => (await store.load(source.name)).rowsPublished, WAIT).toBe(4);
      await expect.poll(() => poller.status()[0].lastError ?? '', WAIT).toContain('row key 5');
      expect(poller.status()[0].lastError).toContain('column "phone"');
      expect(poller.status()[0].state).toBe('schema-drift');
      expect((await store.load(source.name)).position?.key).toBe(4);

      await db.exec(`UPDATE drift_patients SET phone = '0814' WHERE id = 5`);
      await expect.poll(async () => (await store.load(source.name)).rowsPublished, WAIT).toBe(5);
      await expect.poll(() => poller.status()[0].state, WAIT).toBe('idle');
    } finally {
      await poller.close();
    }
    await expect.poll(async () => (await patientsByMrnPrefix(driftPrefix)).size, WAIT).toBe(5);
  });

  test('the database going down backs the source off; it resumes where it stopped when the database is back', async () => {
    const proxy = new TcpProxy({ host: db.host, port: db.port });
    await proxy.start();
    const proxyPrefix = `${driver.toUpperCase()}-X-`;
    const source = sourceConfig(`${driver}-proxy`, { driver, url: viaProxy(db.url, proxy) }, 'proxy_patients');
    await db.exec(`INSERT INTO proxy_patients VALUES ${patientRows(proxyPrefix, 1, 2, '2024-01-01 00:00:00')}`);
    const poller = new SqlPoller({ sources: [source], publisher: bus, store, logger });
    poller.start();
    try {
      await expect.poll(async () => (await store.load(source.name)).rowsPublished, WAIT).toBe(2);
      await proxy.stop();
      await db.exec(`INSERT INTO proxy_patients VALUES ${patientRows(proxyPrefix, 3, 4, '2024-01-02 00:00:00')}`);
      await expect.poll(() => poller.status()[0].state, WAIT).toBe('backoff');
      expect(poller.status()[0].lastError).toContain(`sql source "${source.name}"`);
      expect(poller.status()[0].lastErrorReason).toBe('database');
      expect((await store.load(source.name)).rowsPublished).toBe(2);
      await proxy.start();
      await expect.poll(async () => (await store.load(source.name)).rowsPublished, WAIT).toBe(4);
      await expect.poll(() => poller.status()[0].state, WAIT).toBe('idle');
    } finally {
      await poller.close();
      await proxy.stop();
    }
    await expect.poll(async () => (await patientsByMrnPrefix(proxyPrefix)).size, WAIT).toBe(4);
  });

  test('`simpul sql test` prints the first rows and their mapped FHIR, and writes nothing', async () => {
    const name = `${driver}-dryrun`;
    const source = sourceConfig(name, db, 'patients');
    const dir = await mkdtemp(join(tmpdir(), 'simpul-sql-test-'));
    try {
      await writeFile(join(dir, 'simpul.yaml'), JSON.stringify({ sql: { sources: [{ ...source, mapping: patientTemplate }] } }));
      const output = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/simpul.ts', 'sql', 'test', name, '--limit', '3'], {
          cwd: ROOT,
          env: { ...process.env, SIMPUL_CONFIG: join(dir, 'simpul.yaml'), AMQP_URL: vhost.url, DATABASE_URL: hub.databaseUrl, SIMPUL_LOG_LEVEL: 'error' },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.once('exit', (code) => resolve({ code, stdout }));
      });
      expect(output.code).toBe(0);
      const printed = JSON.parse(output.stdout) as { rows: Array<{ rowKey: string; row: { mrn: string }; bundle: { entry: Array<{ resource: { resourceType: string; identifier?: Array<{ value: string }> } }> } }> };
      expect(printed.rows.map((r) => r.rowKey)).toEqual(['1', '3', '4']);
      expect(printed.rows[0].bundle.entry[0].resource).toMatchObject({ resourceType: 'Patient', identifier: [{ value: `${prefix}1` }] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await store.load(name)).position).toBeUndefined();
    expect(await messagesOf(name)).toHaveLength(0);
  });
});
