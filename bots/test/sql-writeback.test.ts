import { randomBytes, randomUUID } from 'node:crypto';
import type { ImagingStudy, Patient, Task } from '@medplum/fhirtypes';
import { PermanentError, routingConfigSchema } from '@simpul/infra';
import mysql from 'mysql2/promise';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DELIVERY_TASK_SYSTEM } from '../src/routing/delivery-task.ts';
import { RetryableDeliveryError, type RoutedResource } from '../src/routing/destination-driver.ts';
import { driverFor } from '../src/routing/drivers.ts';
import { deliverRoute, type RouteSettings } from '../src/routing/route-delivery.ts';
import type { SimpulBotEvent } from '../src/runtime/bot-event.ts';
import { startTestHub, TEST_DATABASE_SERVER, type BotsTestHub } from './support/test-hub.ts';

/**
 * The write-back destination against the real MariaDB and PostgreSQL on the machine: a legacy RIS
 * table gets the SATUSEHAT id of a study once the study carries it, through the same delivery path
 * (rules, Task, retry or dead letter) as every destination.
 */
const MYSQL_SERVER = process.env.TEST_MYSQL_SERVER ?? 'mysql://root@127.0.0.1:3306';
const SATUSEHAT_ID = 'https://simpul.dev/fhir/NamingSystem/satusehat-id/ImagingStudy';
const ACSN_TYPE = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] };
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface LegacyDatabase {
  driver: 'mysql' | 'postgres';
  url: string;
  query(text: string): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

async function mysqlDatabase(): Promise<LegacyDatabase> {
  const name = `simpul_wb_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  const connection = await mysql.createConnection({ uri: `${MYSQL_SERVER}/${name}` });
  return {
    driver: 'mysql',
    url: `${MYSQL_SERVER}/${name}`,
    query: async (text) => (await connection.query(text))[0] as Record<string, unknown>[],
    drop: async () => {
      await connection.end();
      const dropper = await mysql.createConnection({ uri: MYSQL_SERVER });
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.end();
    },
  };
}

async function postgresDatabase(): Promise<LegacyDatabase> {
  const name = `simpul_wb_${randomBytes(4).toString('hex')}`;
  const admin = postgres(`${TEST_DATABASE_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const sql = postgres(`${TEST_DATABASE_SERVER}/${name}`, { max: 1, onnotice: () => undefined });
  return {
    driver: 'postgres',
    url: `${TEST_DATABASE_SERVER}/${name}`,
    query: async (text) => [...(await sql.unsafe(text))] as Record<string, unknown>[],
    drop: async () => {
      await sql.end();
      const dropper = postgres(`${TEST_DATABASE_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
      await dropper.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
    },
  };
}

let hub: BotsTestHub;
let patient: Patient;

beforeAll(async () => {
  hub = await startTestHub();
  patient = await hub.medplum.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'WriteBack' }] });
}, 60_000);
afterAll(async () => {
  await hub?.close();
});

describe.each([
  ['MariaDB', mysqlDatabase],
  ['PostgreSQL', postgresDatabase],
])('write-back to %s', (_label, open) => {
  let legacy: LegacyDatabase;

  beforeAll(async () => {
    legacy = await open();
    await legacy.query('CREATE TABLE ris_order (acsn VARCHAR(32) PRIMARY KEY, satusehat_id VARCHAR(200) NULL)');
    await legacy.query("INSERT INTO ris_order (acsn) VALUES ('A-100'), ('A-200')");
  }, 60_000);
  afterAll(async () => {
    await legacy?.drop();
  });

  function route(overrides: Record<string, unknown> = {}): RouteSettings {
    const routing = routingConfigSchema.parse({
      destinations: {
        'ris-db': {
          type: 'sql',
          driver: legacy.driver,
          url: legacy.url,
          statement: 'UPDATE ris_order SET satusehat_id = :studyId WHERE acsn = :acsn',
          params: {
            studyId: `identifier.where(system = '${SATUSEHAT_ID}').value`,
            acsn: "identifier.where(type.coding.code = 'ACSN').value",
          },
          maxAttempts: 3,
          ...overrides,
        },
      },
      rules: [{ name: 'studies', when: { resourceType: 'ImagingStudy' }, sendTo: ['ris-db'] }],
    });
    const destination = routing.destinations['ris-db'];
    return { destinationName: 'ris-db', destination, rules: routing.rules, storageDir: '/nonexistent' };
  }

  function event(resource: RoutedResource, attempt = 1): SimpulBotEvent<RoutedResource> {
    return {
      bot: { reference: 'Bot/route-ris-db' },
      input: resource,
      contentType: 'application/fhir+json',
      secrets: {},
      traceId: randomUUID(),
      headers: {},
      idempotencyKey: randomUUID(),
      attempt,
      interaction: 'update',
      subscription: 'Subscription/x',
      versionId: resource.meta?.versionId as string,
    };
  }

  async function study(acsn: string, remoteId?: string): Promise<ImagingStudy> {
    return hub.medplum.createResource<ImagingStudy>({
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: { reference: `Patient/${patient.id}` },
      identifier: [{ type: ACSN_TYPE, system: 'http://rs.test/acsn', value: acsn }, ...(remoteId ? [{ system: SATUSEHAT_ID, value: remoteId }] : [])],
    });
  }

  async function taskOf(resource: RoutedResource): Promise<Task | undefined> {
    return hub.medplum.searchOne('Task', { identifier: `${DELIVERY_TASK_SYSTEM}|ris-db/ImagingStudy/${resource.id}` });
  }

  const deliver = (settings: RouteSettings, resource: RoutedResource, attempt = 1) =>
    deliverRoute(hub.medplum, event(resource, attempt), settings, driverFor(settings.destination), { logger: silent });

  test('waits for the SATUSEHAT id, then writes it into the legacy row; the Task says so', async () => {
    const first = await study('A-100');
    const skipped = await deliver(route(), first);
    expect(skipped).toMatchObject({ outcome: 'delivered', summary: expect.stringContaining(':studyId') });
    expect(await legacy.query("SELECT satusehat_id FROM ris_order WHERE acsn = 'A-100'")).toEqual([{ satusehat_id: null }]);

    const withId = await hub.medplum.updateResource({ ...first, identifier: [...(first.identifier ?? []), { system: SATUSEHAT_ID, value: 'SS-IMG-1' }] });
    const written = await deliver(route(), withId);
    expect(written).toMatchObject({ outcome: 'delivered', summary: '1 row(s) written to ris-db' });
    expect(await legacy.query("SELECT satusehat_id FROM ris_order WHERE acsn = 'A-100'")).toEqual([{ satusehat_id: 'SS-IMG-1' }]);
    expect(await taskOf(withId)).toMatchObject({ status: 'completed', businessStatus: { text: '1 row(s) written to ris-db' } });
  });

  test('values are bound, never spliced into the statement', async () => {
    const hostile = "x'; DROP TABLE ris_order; --";
    await deliver(route(), await study('A-200', hostile));
    expect(await legacy.query("SELECT satusehat_id FROM ris_order WHERE acsn = 'A-200'")).toEqual([{ satusehat_id: hostile }]);
  });

  test('a row that is not there yet is retried when minRowsAffected asks for one', async () => {
    const missing = await study('A-404', 'SS-IMG-404');
    await expect(deliver(route({ minRowsAffected: 1 }), missing)).rejects.toThrow(RetryableDeliveryError);
    expect(await taskOf(missing)).toMatchObject({ status: 'in-progress', statusReason: { text: expect.stringContaining('fewer than minRowsAffected (1)') } });
  });

  test('a statement the database refuses fails for good, naming the problem', async () => {
    const broken = await study('A-500', 'SS-IMG-500');
    const error = await deliver(route({ statement: 'UPDATE ris_order SET no_such_column = :studyId WHERE acsn = :acsn' }), broken).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/no_such_column/);
    expect(await taskOf(broken)).toMatchObject({ status: 'failed' });
  });

  test('a database that cannot be reached is retried', async () => {
    const unreachable = legacy.driver === 'mysql' ? 'mysql://root@127.0.0.1:1/nowhere' : 'postgres://postgres@127.0.0.1:1/nowhere';
    const error = await deliver(route({ url: unreachable }), await study('A-600', 'SS-IMG-600')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
  });
});

describe('write-back config', () => {
  test('a :parameter the statement uses without a FHIRPath is refused at start', () => {
    const result = routingConfigSchema.safeParse({
      destinations: { db: { type: 'sql', driver: 'postgres', url: 'postgres://x@127.0.0.1/db', statement: 'UPDATE t SET a = :a WHERE b = :b', params: { a: 'id' } } },
    });
    expect(result.error?.issues[0]).toMatchObject({ path: ['destinations', 'db', 'params', 'b'], message: expect.stringContaining(':b') });
  });
});

