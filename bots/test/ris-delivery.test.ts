import { randomUUID } from 'node:crypto';
import type { Hl7Message } from '@medplum/core';
import type { ImagingStudy, Patient, Practitioner, PractitionerRole, ServiceRequest } from '@medplum/fhirtypes';
import { PermanentError, routingConfigSchema, type RisDestinationConfig } from '@simpul/infra';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryContext, DeliveryResult, ProgressUpdate } from '../src/routing/destination-driver.ts';
import { RetryableDeliveryError } from '../src/routing/destination-driver.ts';
import { closeRisConnections, deliverToRis } from '../src/ris/index.ts';
import { decodeHl7, startScriptedRis, type ScriptedRis } from './support/ris-listener.ts';
import { freePort, startTestHub, type BotsTestHub } from './support/test-hub.ts';

const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let hub: BotsTestHub;
let ris: ScriptedRis;
let patient: Patient;
let practitioner: Practitioner;

beforeAll(async () => {
  [hub, ris] = await Promise.all([startTestHub(), startScriptedRis()]);
  patient = await hub.medplum.createResource<Patient>({
    resourceType: 'Patient',
    identifier: [
      { system: 'https://rs1.example/id/mrn', value: `MR-${randomUUID().slice(0, 8)}`, type: { coding: [{ system: V2, code: 'MR' }] } },
      { system: 'https://fhir.kemkes.go.id/id/nik', value: '3201234567890001' },
    ],
    name: [{ family: 'Santoso', given: ['Budi'] }],
    birthDate: '1980-03-15',
    gender: 'male',
  });
  practitioner = await hub.medplum.createResource<Practitioner>({
    resourceType: 'Practitioner',
    identifier: [{ system: 'https://fhir.kemkes.go.id/id/nakes-his-number', value: 'N10000001' }],
    name: [{ family: 'Wijaya', given: ['Sari'], prefix: ['dr.'] }],
  });
}, 120_000);

afterAll(async () => {
  await closeRisConnections();
  await ris?.stop();
  await hub?.close();
});

beforeEach(() => {
  ris.received.length = 0;
  ris.receivedOn.length = 0;
  ris.answer = () => ({ kind: 'ack', code: 'AA' });
});

function destination(overrides: Record<string, unknown> = {}): RisDestinationConfig {
  const routing = routingConfigSchema.parse({
    destinations: { ris: { type: 'ris', host: '127.0.0.1', port: ris.port, sendingFacility: 'RS1', receivingFacility: 'RAD', timeoutMs: 5_000, ...overrides } },
  });
  const parsed = routing.destinations.ris;
  if (parsed.type !== 'ris') throw new Error('expected a ris destination');
  return parsed;
}

interface RunOptions {
  interaction?: 'create' | 'update' | 'delete';
  destinationName?: string;
  destination?: RisDestinationConfig;
  key?: string;
  remoteIds?: Record<string, string>;
  signal?: AbortSignal;
}

async function run(resource: ServiceRequest | ImagingStudy, options: RunOptions = {}) {
  const checkpoints: ProgressUpdate[] = [];
  const context: DeliveryContext<RisDestinationConfig> = {
    destinationName: options.destinationName ?? 'ris',
    destination: options.destination ?? destination(),
    medplum: hub.medplum,
    resource,
    interaction: options.interaction ?? 'create',
    idempotencyKey: options.key ?? randomUUID(),
    attempt: 1,
    traceId: randomUUID(),
    storageDir: '/nonexistent',
    progress: { deliveredInstances: new Set(), remoteIds: options.remoteIds ?? {} },
    checkpoint: async (update) => {
      checkpoints.push(update);
    },
    logger: silent,
    signal: options.signal ?? new AbortController().signal,
  };
  return { promise: deliverToRis(context), checkpoints };
}

async function deliver(resource: ServiceRequest | ImagingStudy, options: RunOptions = {}): Promise<{ result: DeliveryResult; checkpoints: ProgressUpdate[] }> {
  const { promise, checkpoints } = await run(resource, options);
  return { result: await promise, checkpoints };
}

async function failure(resource: ServiceRequest | ImagingStudy, options: RunOptions = {}): Promise<Error> {
  const { promise } = await run(resource, options);
  return promise.then(
    () => {
      throw new Error('expected the delivery to fail');
    },
    (error: unknown) => error as Error,
  );
}

async function order(overrides: Partial<ServiceRequest> = {}): Promise<ServiceRequest> {
  return hub.medplum.createResource<ServiceRequest>({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    priority: 'routine',
    identifier: [
      { system: 'https://rs1.example/id/placer', value: `ORD-${randomUUID().slice(0, 8)}`, type: { coding: [{ system: V2, code: 'PLAC' }] } },
      { system: 'https://rs1.example/id/acsn', value: `ACC-${randomUUID().slice(0, 8)}`, type: { coding: [{ system: V2, code: 'ACSN' }] } },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '24725-4', display: 'CT Head' }] },
    orderDetail: [{ coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }] }],
    subject: { reference: `Patient/${patient.id}` },
    requester: { reference: `Practitioner/${practitioner.id}` },
    occurrenceDateTime: '2024-05-02T08:30:00+07:00',
    ...overrides,
  });
}

const field = (message: Hl7Message, segment: string, index: number) => message.getSegment(segment)?.getField(index)?.toString() ?? '';

describe('deliverToRis', () => {
  it('sends a new order as ORM^O01 NW and is delivered on AA, the RIS having seen exactly one message', async () => {
    const request = await order();
    const { result, checkpoints } = await deliver(request);

    expect(ris.received).toHaveLength(1);
    const [message] = ris.received;
    const controlId = field(message, 'MSH', 10);
    expect(controlId).toMatch(/^[0-9A-Z]{20}$/);
    expect(result.summary).toBe(`ORM^O01 NW acknowledged AA (control id ${controlId})`);
    expect(result.remoteIds).toEqual({ controlId });
    expect(checkpoints).toEqual([{ remoteIds: { controlId } }]);

    expect(field(message, 'MSH', 4)).toBe('RS1');
    expect(field(message, 'MSH', 9)).toBe('ORM^O01^ORM_O01');
    expect(field(message, 'PID', 3)).toBe(`${patient.identifier![0].value}^^^mrn^MR~3201234567890001^^^nik`);
    expect(field(message, 'PID', 5)).toBe('Santoso^Budi');
    expect(field(message, 'PID', 7)).toBe('19800315');
    expect(field(message, 'ORC', 1)).toBe('NW');
    expect(field(message, 'ORC', 2)).toBe(`${request.identifier![0].value}^placer`);
    expect(field(message, 'ORC', 3)).toBe(`${request.identifier![1].value}^acsn`);
    expect(field(message, 'ORC', 12)).toBe('N10000001^Wijaya^Sari^^^dr.^^^nakes-his-number');
    expect(field(message, 'OBR', 4)).toBe('24725-4^CT Head^LN');
    expect(field(message, 'OBR', 7)).toBe('20240502083000+0700');
    expect(field(message, 'OBR', 24)).toBe('CT');
    expect(field(message, 'OBR', 27)).toBe('^^^20240502083000+0700^^R');
  });

  it('sends the same control id on a retry of one delivery, and nothing once an attempt recorded its ACK', async () => {
    const request = await order();
    const key = randomUUID();
    await deliver(request, { key });
    await deliver(request, { key });
    expect(ris.received).toHaveLength(2);
    const controlId = field(ris.received[0], 'MSH', 10);
    expect(field(ris.received[1], 'MSH', 10)).toBe(controlId);

    // Not even the hub is asked again: a Patient gone since the ACK does not matter.
    const { result } = await deliver({ ...request, subject: { reference: 'Patient/gone-since' } }, { key, remoteIds: { controlId } });
    expect(ris.received).toHaveLength(2);
    expect(result.summary).toBe(`ORM^O01 NW already acknowledged (control id ${controlId})`);
  });

  it('sends an update as XO', async () => {
    const request = await order();
    const updated = await hub.medplum.updateResource<ServiceRequest>({ ...request, priority: 'stat' });
    const { result } = await deliver(updated, { interaction: 'update' });
    expect(result.summary).toMatch(/^ORM\^O01 XO acknowledged AA/);
    expect(field(ris.received[0], 'ORC', 1)).toBe('XO');
    expect(field(ris.received[0], 'OBR', 27)).toBe('^^^20240502083000+0700^^S');
  });

  it('cancels a revoked order (CA) and a deleted one (CA, from the last version)', async () => {
    const revoked = await hub.medplum.updateResource<ServiceRequest>({ ...(await order()), status: 'revoked' });
    expect((await deliver(revoked, { interaction: 'update' })).result.summary).toMatch(/^ORM\^O01 CA acknowledged AA/);
    expect(field(ris.received[0], 'ORC', 1)).toBe('CA');
    expect(field(ris.received[0], 'ORC', 5)).toBe('CA');

    const deleted = await order();
    await hub.medplum.deleteResource('ServiceRequest', deleted.id!);
    expect((await deliver(deleted, { interaction: 'delete' })).result.summary).toMatch(/^ORM\^O01 CA acknowledged AA/);
    expect(field(ris.received[1], 'ORC', 1)).toBe('CA');
    expect(field(ris.received[1], 'ORC', 2)).toBe(`${deleted.identifier![0].value}^placer`);
  });

  it('retries on AE with the ERR text', async () => {
    ris.answer = () => ({ kind: 'ack', code: 'AE', text: 'worklist database locked' });
    const error = await failure(await order());
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('AE (error)');
    expect(error.message).toContain('worklist database locked');
  });

  it('dead-letters on AR with the ERR text', async () => {
    ris.answer = () => ({ kind: 'ack', code: 'AR', text: 'unknown procedure 24725-4' });
    const error = await failure(await order());
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('AR (rejected)');
    expect(error.message).toContain('unknown procedure 24725-4');
  });

  it('retries when no ACK comes within timeoutMs, and drops the connection so a late ACK cannot answer the next message', async () => {
    let lateControlId: string | undefined;
    ris.answer = (message) => {
      if (lateControlId === undefined) {
        lateControlId = field(message, 'MSH', 10);
        return { kind: 'silence' };
      }
      // Were the connection kept, this late ACK would arrive first and be read as the answer.
      return { kind: 'ack', code: 'AA', lateAckFor: lateControlId };
    };
    const error = await failure(await order(), { destination: destination({ timeoutMs: 300 }) });
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('no answer from the RIS');
    expect(error.message).toContain('300 ms');

    const { result } = await deliver(await order());
    expect(result.summary).toContain(`acknowledged AA (control id ${field(ris.received[1], 'MSH', 10)})`);
    expect(ris.receivedOn[1]).not.toBe(ris.receivedOn[0]);
  });

  it('retries when the RIS is down, naming the address', async () => {
    const port = await freePort();
    const error = await failure(await order(), { destinationName: 'ris-down', destination: destination({ port }) });
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain(`cannot connect to the RIS 127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('retries when the RIS closes the connection instead of answering, and reconnects for the next delivery', async () => {
    ris.answer = () => ({ kind: 'close' });
    const error = await failure(await order());
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('closed the connection before answering');

    ris.answer = () => ({ kind: 'ack', code: 'AA' });
    expect((await deliver(await order())).result.summary).toMatch(/acknowledged AA/);
  });

  it('retries an ACK for another control id', async () => {
    ris.answer = () => ({ kind: 'ack', code: 'AA', controlId: 'SOMEONE-ELSE' });
    const error = await failure(await order());
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('"SOMEONE-ELSE" instead of');
  });

  it('retries an answer that is not an ACK, naming what came back', async () => {
    ris.answer = () => ({ kind: 'raw', text: 'MSH|^~\\&|RIS|RAD|SIMPUL|RS1|20240501||ADT^A08^ADT_A01|X1|P|2.5.1\rPID|1||1' });
    const error = await failure(await order());
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('ADT^A08^ADT_A01');
  });

  it('delivers a patient name full of delimiters intact', async () => {
    const odd = await hub.medplum.createResource<Patient>({
      resourceType: 'Patient',
      identifier: [{ system: 'https://rs1.example/id/mrn', value: 'MR|^~\\&1' }],
      name: [{ family: "O'Brien|^~\\&", given: ['Ann^Marie'] }],
    });
    await deliver(await order({ subject: { reference: `Patient/${odd.id}` } }));
    const [message] = ris.received;
    expect(message.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID', 'PV1', 'ORC', 'OBR']);
    const pid = message.getSegment('PID')!;
    expect(decodeHl7(pid.getField(5).getComponent(1))).toBe("O'Brien|^~\\&");
    expect(decodeHl7(pid.getField(5).getComponent(2))).toBe('Ann^Marie');
    expect(decodeHl7(pid.getField(3).getComponent(1))).toBe('MR|^~\\&1');
  });

  it('sends OMI^O23 with TQ1 and IPC when the destination says so', async () => {
    const request = await order();
    const { result } = await deliver(request, { destination: destination({ messageType: 'OMI^O23', version: '2.5.1' }) });
    expect(result.summary).toMatch(/^OMI\^O23 NW acknowledged AA/);
    const [message] = ris.received;
    expect(message.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID', 'PV1', 'ORC', 'TQ1', 'OBR', 'IPC']);
    expect(field(message, 'MSH', 9)).toBe('OMI^O23^OMI_O23');
    expect(field(message, 'TQ1', 9)).toBe('R');
    expect(field(message, 'IPC', 1)).toBe(`${request.identifier![1].value}^acsn`);
    expect(field(message, 'IPC', 5)).toBe('CT^^DCM');
  });

  it('dead-letters OMI^O23 on a version before 2.5 without sending', async () => {
    const error = await failure(await order(), { destination: destination({ messageType: 'OMI^O23', version: '2.4' }) });
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('routing.destinations.ris:');
    expect(ris.received).toHaveLength(0);
  });

  it('reads the requester through a PractitionerRole', async () => {
    const role = await hub.medplum.createResource<PractitionerRole>({ resourceType: 'PractitionerRole', practitioner: { reference: `Practitioner/${practitioner.id}` } });
    await deliver(await order({ requester: { reference: `PractitionerRole/${role.id}` } }));
    expect(field(ris.received[0], 'ORC', 12)).toBe('N10000001^Wijaya^Sari^^^dr.^^^nakes-his-number');
  });

  it('goes on with a warning when the requester is not in the hub', async () => {
    const { result } = await deliver(await order({ requester: { reference: 'Practitioner/does-not-exist', display: 'dr. X' } }));
    expect(result.warnings).toEqual([expect.stringContaining('Practitioner/does-not-exist is not in the hub')]);
    expect(field(ris.received[0], 'ORC', 12)).toBe('^dr. X');
  });

  it('dead-letters an order without a subject, or whose Patient is gone, naming it, without sending', async () => {
    const request = await order();
    const noSubject = { ...request, subject: undefined } as unknown as ServiceRequest;
    const error = await failure(noSubject);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(`ServiceRequest/${request.id} has no subject reference; the RIS needs the Patient (PID)`);

    const gone = await failure({ ...request, subject: { reference: 'Patient/no-such-patient' } });
    expect(gone).toBeInstanceOf(PermanentError);
    expect(gone.message).toContain('Patient/no-such-patient is not in the hub');
    expect(ris.received).toHaveLength(0);
  });

  it('has nothing to do with an ImagingStudy', async () => {
    const study: ImagingStudy = { resourceType: 'ImagingStudy', id: 'x', status: 'available', subject: { reference: `Patient/${patient.id}` } };
    const { result } = await deliver(study);
    expect(result.notApplicable).toBe(true);
    expect(result.summary).toContain('ImagingStudy');
    expect(ris.received).toHaveLength(0);
  });

  it('retries when the attempt is aborted while waiting for the ACK', async () => {
    const controller = new AbortController();
    ris.answer = () => {
      controller.abort();
      return { kind: 'silence' };
    };
    const error = await failure(await order(), { signal: controller.signal });
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain("attempt's time ran out");
  });

  it('keeps one connection across deliveries and reconnects after the RIS closed it', async () => {
    const separate = await startScriptedRis();
    try {
      const target = destination({ port: separate.port });
      await deliver(await order(), { destinationName: 'ris-reuse', destination: target });
      await deliver(await order(), { destinationName: 'ris-reuse', destination: target });
      await deliver(await order(), { destinationName: 'ris-reuse', destination: target });
      expect(separate.received).toHaveLength(3);
      expect(separate.connections()).toBe(1);

      separate.answer = () => ({ kind: 'ack', code: 'AA', closeAfter: true });
      await deliver(await order(), { destinationName: 'ris-reuse', destination: target });
      separate.answer = () => ({ kind: 'ack', code: 'AA' });
      const { result } = await deliver(await order(), { destinationName: 'ris-reuse', destination: target });
      expect(result.summary).toMatch(/acknowledged AA/);
      expect(separate.received).toHaveLength(5);
      expect(separate.connections()).toBe(2);

      // Deliveries in flight at once share the connection one message at a time, each getting its own ACK.
      const orders = await Promise.all([order(), order(), order()]);
      const results = await Promise.all(orders.map((request) => deliver(request, { destinationName: 'ris-reuse', destination: target })));
      const sent = separate.received.slice(5).map((message) => field(message, 'MSH', 10));
      expect(results.map(({ result }) => result.remoteIds?.controlId).sort()).toEqual([...sent].sort());
      expect(new Set(sent).size).toBe(3);
      expect(separate.connections()).toBe(2);
    } finally {
      await closeRisConnections();
      await separate.stop();
    }
  });
});
