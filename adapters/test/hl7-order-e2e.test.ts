import { Hl7Client } from '@medplum/hl7';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FIXTURE_SOURCE, MRN, readFixture } from '../src/ingest/hl7/fixtures/fixture-context.ts';
import { createV2TableTranslator } from '../src/ingest/hl7/index.ts';
import { createHubClient, startIngestWorker, type HubClient, type IngestWorker } from '../src/ingest/worker/index.ts';
import { forHl7Client, msa, startTestBus, startTestListener, type TestBus, type TestListener } from './mllp-support.ts';
import { startHubProcess, type HubProcess } from './support/hub-process.ts';

/**
 * The whole HL7 path under concurrency: 2,000 ADT messages for 50 patients, sent at once over 8
 * MLLP connections (each patient's messages in order on its connection), through the listener,
 * RabbitMQ and an ingest worker handling 16 at a time, into the hub. Every patient's versions must
 * follow its message order: version n holds message n, never an older message over a newer one.
 */
const PATIENTS = 50;
const MESSAGES_PER_PATIENT = 40;
const CONNECTIONS = 8;

let hub: HubProcess;
let client: HubClient;
let bus: TestBus;
let listener: TestListener;
let worker: IngestWorker;

function adt(patient: number, sequence: number): string {
  const [msh, ...rest] = readFixture('adt-a01-v2.5.1.hl7').split(/\r\n|\r|\n/);
  const fields = msh.split('|');
  fields[8] = 'ADT^A08^ADT_A01';
  fields[9] = `ORD-${patient}-${sequence}`;
  // Original acknowledgment mode: the fixture asks for enhanced mode (MSH-15/16), answered by a commit ACK only.
  fields.length = 12;
  // The segments that say who and where (MSH, EVN, PID, PV1): next of kin, allergies and diagnoses add
  // resources per message without adding anything to the ordering question.
  const who = rest.filter((segment) => /^(EVN|PID|PV1)\|/.test(segment));
  return [fields.join('|'), ...who]
    .join('\r')
    .replaceAll('RM00123456', `RM-ORD-${String(patient).padStart(3, '0')}`)
    .replace('3174051201800001', `31740512018${String(patient).padStart(5, '0')}`)
    // Each patient its own visit and diagnosis: shared business identifiers would be one Encounter for all.
    .replaceAll('VN20240105001', `VN-ORD-${patient}`)
    .replaceAll('DX0001', `DX-ORD-${patient}`)
    // Different people (birth date, phones), so identity matching does not pair them up for review.
    .replace('19800112', `1980${String((patient % 12) + 1).padStart(2, '0')}${String((patient % 28) + 1).padStart(2, '0')}`)
    .replace('7654321', `76${String(patient).padStart(5, '0')}`)
    .replace('34567890', `345${String(patient).padStart(5, '0')}`)
    .replace('Santoso^Budi', `Urut${String(sequence).padStart(3, '0')}^Budi`);
}

beforeAll(async () => {
  hub = await startHubProcess();
  client = await createHubClient({ baseUrl: hub.url, clientId: hub.adminClientId, clientSecret: hub.adminClientSecret });
  bus = await startTestBus({ publishTimeoutMs: 10_000 });
  listener = await startTestListener(bus.bus);
  worker = await startIngestWorker({
    bus: bus.bus,
    hub: client,
    logger: pino({ level: 'silent' }),
    hl7Sources: { default: FIXTURE_SOURCE },
    translator: createV2TableTranslator(),
    prefetch: 16,
    maxAttempts: 5,
    duplicateWindowMs: 60_000,
  });
}, 60_000);

afterAll(async () => {
  await listener?.close();
  await worker?.close();
  await bus?.remove();
  await hub?.stop();
});

describe('HL7 v2 end to end', () => {
  test('2,000 messages for 50 patients over 8 connections land in per-patient order', async () => {
    const connections = Array.from({ length: CONNECTIONS }, () => new Hl7Client({ host: '127.0.0.1', port: listener.port }));
    const acks: string[] = [];
    try {
      await Promise.all(
        connections.map(async (connection, index) => {
          const mine = Array.from({ length: PATIENTS }, (_, patient) => patient).filter((patient) => patient % CONNECTIONS === index);
          // Interleave this connection's patients, each patient's messages in sequence order.
          for (let sequence = 0; sequence < MESSAGES_PER_PATIENT; sequence++) {
            for (const patient of mine) {
              const ack = await connection.sendAndWait(forHl7Client(adt(patient, sequence)), { timeoutMs: 30_000 });
              acks.push(msa(ack as unknown as Parameters<typeof msa>[0]).code);
            }
          }
        }),
      );
    } finally {
      for (const connection of connections) connection.close();
    }
    expect(acks).toHaveLength(PATIENTS * MESSAGES_PER_PATIENT);
    expect(new Set(acks)).toEqual(new Set(['AA']));

    const last = `Urut${String(MESSAGES_PER_PATIENT - 1).padStart(3, '0')}`;
    const deadline = Date.now() + 360_000;
    for (;;) {
      const [settled] = await hub.sql<{ n: string }[]>`SELECT count(*) AS n FROM message WHERE control_id LIKE 'ORD-%' AND status IN ('stored', 'error')`;
      if (Number(settled.n) >= PATIENTS * MESSAGES_PER_PATIENT || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const statuses = await hub.sql<{ status: string; error: string | null; n: string }[]>`
      SELECT status, min(error) AS error, count(*) AS n FROM message WHERE control_id LIKE 'ORD-%' GROUP BY status`;
    expect(statuses.map((row) => ({ status: row.status, n: Number(row.n), error: row.error }))).toEqual([{ status: 'stored', n: PATIENTS * MESSAGES_PER_PATIENT, error: null }]);
    const patients = await Promise.all(
      Array.from({ length: PATIENTS }, async (_, patient) => {
        const found = await client.searchPatients(`identifier=${encodeURIComponent(`${MRN}|RM-ORD-${String(patient).padStart(3, '0')}`)}`);
        expect(found).toHaveLength(1);
        return found[0];
      }),
    );
    expect(patients.map((patient) => patient?.name?.[0]?.family)).toEqual(Array(PATIENTS).fill(last));

    for (const patient of patients) {
      const versions = await hub.sql<{ family: string }[]>`
        SELECT content::jsonb #>> '{name,0,family}' AS family FROM resource_history WHERE resource_type = 'Patient' AND id = ${patient.id as string} ORDER BY version_seq`;
      const sequences = versions.map((version) => Number(version.family.slice(4)));
      const sorted = [...sequences].sort((a, b) => a - b);
      expect(sequences, `Patient/${patient.id} took messages out of order`).toEqual(sorted);
      expect(sequences.at(-1)).toBe(MESSAGES_PER_PATIENT - 1);
    }
  }, 480_000);
});
