import { randomUUID } from 'node:crypto';
import type { ImagingStudy, Patient, Task } from '@medplum/fhirtypes';
import { PermanentError, routingConfigSchema } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DELIVERY_OUTPUT_SYSTEM, DELIVERY_STATUS_SYSTEM, DELIVERY_TASK_SYSTEM } from '../src/routing/delivery-task.ts';
import { RetryableDeliveryError, type DeliveryContext, type DestinationDriver, type RoutedResource } from '../src/routing/destination-driver.ts';
import { deliverRoute, type RouteSettings } from '../src/routing/route-delivery.ts';
import type { SimpulBotEvent } from '../src/runtime/bot-event.ts';
import type { DestinationConfig } from '@simpul/infra';
import { startTestHub, type BotsTestHub } from './support/test-hub.ts';

/**
 * The part of a delivery every destination shares, against a real hub: which version does the work,
 * the rules, the stability wait, and the delivery Task the viewer reads. The destination here is a
 * driver that records what it was asked (the real drivers have their own tests with real peers).
 */
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let hub: BotsTestHub;
let patient: Patient;

beforeAll(async () => {
  hub = await startTestHub();
  patient = await hub.medplum.createResource<Patient>({ resourceType: 'Patient', identifier: [{ system: 'https://rs.example/mrn', value: 'MRN-1' }] });
}, 60_000);
afterAll(async () => {
  await hub?.close();
});

function route(rules: unknown[], maxAttempts = 3): RouteSettings {
  const routing = routingConfigSchema.parse({
    destinations: { 'pacs-a': { type: 'pacs', aeTitle: 'PACS_A', host: '127.0.0.1', port: 104, maxAttempts, attemptTimeoutMs: 5_000 } },
    rules,
  });
  return { destinationName: 'pacs-a', destination: routing.destinations['pacs-a'], rules: routing.rules, storageDir: '/nonexistent' };
}
const ctRule = { name: 'ct', when: { resourceType: 'ImagingStudy', modality: 'CT' }, sendTo: ['pacs-a'] };

async function newStudy(modality = 'CT'): Promise<ImagingStudy> {
  return hub.medplum.createResource<ImagingStudy>({
    resourceType: 'ImagingStudy',
    status: 'available',
    subject: { reference: `Patient/${patient.id}` },
    modality: [{ system: DCM, code: modality }],
    series: [{ uid: '1.2.3', modality: { system: DCM, code: modality }, instance: [{ uid: '1.2.3.1', sopClass: { code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } }, { uid: '1.2.3.2', sopClass: { code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } }] }],
  });
}

function eventFor(resource: RoutedResource, attempt = 1, key = randomUUID()): SimpulBotEvent<RoutedResource> {
  return {
    bot: { reference: 'Bot/route-pacs-a' },
    input: resource,
    contentType: 'application/fhir+json',
    secrets: {},
    traceId: randomUUID(),
    headers: {},
    idempotencyKey: key,
    attempt,
    interaction: 'update',
    subscription: 'Subscription/x',
    versionId: resource.meta?.versionId as string,
  };
}

/** A destination that records each call and does what the test says. */
function recordingDriver(behave: (context: DeliveryContext<DestinationConfig>, call: number) => Promise<void> | void = () => undefined) {
  const calls: DeliveryContext<DestinationConfig>[] = [];
  const driver: DestinationDriver<DestinationConfig> = async (context) => {
    calls.push(context);
    await behave(context, calls.length);
    const study = context.resource as ImagingStudy;
    const uids = (study.series ?? []).flatMap((series) => (series.instance ?? []).map((instance) => instance.uid));
    const missing = uids.filter((uid) => !context.progress.deliveredInstances.has(uid));
    return { summary: `${missing.length} instances stored at PACS_A`, deliveredInstances: missing, remoteIds: { study: 'remote-1' } };
  };
  return { driver, calls };
}

async function taskOf(resource: RoutedResource): Promise<Task | undefined> {
  return hub.medplum.searchOne('Task', { identifier: `${DELIVERY_TASK_SYSTEM}|pacs-a/${resource.resourceType}/${resource.id}` });
}

function outputs(task: Task, code: string): string[] {
  return (task.output ?? []).filter((output) => output.type?.coding?.some((coding) => coding.system === DELIVERY_OUTPUT_SYSTEM && coding.code === code)).map((output) => output.valueOid ?? output.valueString ?? '');
}

describe('a delivery to one destination', () => {
  test('a study a rule sends is delivered and its Task says so, with what the destination took and its ids', async () => {
    const study = await newStudy();
    const { driver, calls } = recordingDriver();
    const outcome = await deliverRoute(hub.medplum, eventFor(study), route([ctRule]), driver, { logger: silent });
    expect(outcome).toMatchObject({ outcome: 'delivered', summary: '2 instances stored at PACS_A' });
    expect(calls).toHaveLength(1);
    const task = await taskOf(study);
    expect(task).toMatchObject({ status: 'completed', focus: { reference: `ImagingStudy/${study.id}` }, for: { reference: `Patient/${patient.id}` }, owner: { display: 'pacs-a' } });
    expect(task?.businessStatus?.coding?.[0]).toEqual({ system: DELIVERY_STATUS_SYSTEM, code: 'delivered' });
    expect(outputs(task as Task, 'delivered-instance')).toEqual(['urn:oid:1.2.3.1', 'urn:oid:1.2.3.2']);
    expect(outputs(task as Task, 'remote-id')).toEqual(['remote-1']);
    const byFocus = await hub.medplum.searchResources('Task', { focus: `ImagingStudy/${study.id}`, code: 'https://simpul.dev/fhir/CodeSystem/task-code|deliver' });
    expect(byFocus.map((found) => found.id)).toEqual([task?.id]);

    const again = await deliverRoute(hub.medplum, eventFor(study), route([ctRule]), driver, { logger: silent });
    expect(again).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('already delivered') });
    expect(calls).toHaveLength(1);
  });

  test('no rule, no delivery and no Task', async () => {
    const study = await newStudy('MR');
    const { driver, calls } = recordingDriver();
    const outcome = await deliverRoute(hub.medplum, eventFor(study), route([ctRule]), driver, { logger: silent });
    expect(outcome).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('no rule sends') });
    expect(calls).toHaveLength(0);
    expect(await taskOf(study)).toBeUndefined();
  });

  test('the delivery of an older version leaves the work to the newest one', async () => {
    const study = await newStudy();
    const newer = await hub.medplum.updateResource({ ...study, description: 'second version' });
    const { driver, calls } = recordingDriver();
    const outcome = await deliverRoute(hub.medplum, eventFor(study), route([ctRule]), driver, { logger: silent });
    expect(outcome).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining(`superseded by ${newer.meta?.versionId}`) });
    expect(calls).toHaveLength(0);
  });

  test('a rule with stableSeconds waits, and a version that arrives meanwhile takes over', async () => {
    const study = await newStudy();
    const { driver, calls } = recordingDriver();
    const stableRule = { ...ctRule, stableSeconds: 60 };
    let waited = 0;
    const sleepThenUpdate = async (ms: number): Promise<void> => {
      waited = ms;
      await hub.medplum.updateResource({ ...study, description: 'an instance arrived while waiting' });
    };
    const outcome = await deliverRoute(hub.medplum, eventFor(study), route([stableRule]), driver, { logger: silent, sleep: sleepThenUpdate });
    expect(waited).toBeGreaterThan(50_000);
    expect(outcome).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('a newer version') });
    expect(calls).toHaveLength(0);
    expect((await taskOf(study))?.businessStatus?.coding?.[0].code).toBe('waiting-stable');

    const latest = await hub.medplum.readResource('ImagingStudy', study.id as string);
    const quiet = async (): Promise<void> => undefined;
    const done = await deliverRoute(hub.medplum, eventFor(latest), route([stableRule]), driver, { logger: silent, sleep: quiet });
    expect(done.outcome).toBe('delivered');
    expect(calls).toHaveLength(1);
  });

  test('a failed attempt says retrying with the error; the next sends only what is missing; the last one says failed', async () => {
    const study = await newStudy();
    const { driver, calls } = recordingDriver(async (context, call) => {
      if (call === 1) {
        await context.checkpoint({ deliveredInstances: ['1.2.3.1'] });
        throw new RetryableDeliveryError('0xA700 Refused: Out of Resources for 1.2.3.2');
      }
    });
    const key = randomUUID();
    await expect(deliverRoute(hub.medplum, eventFor(study, 1, key), route([ctRule]), driver, { logger: silent })).rejects.toThrow('0xA700');
    const retrying = await taskOf(study);
    expect(retrying).toMatchObject({ status: 'in-progress', statusReason: { text: '0xA700 Refused: Out of Resources for 1.2.3.2' } });
    expect(retrying?.businessStatus?.coding?.[0].code).toBe('retrying');
    expect(outputs(retrying as Task, 'delivered-instance')).toEqual(['urn:oid:1.2.3.1']);

    const outcome = await deliverRoute(hub.medplum, eventFor(study, 2, key), route([ctRule]), driver, { logger: silent });
    expect(outcome).toMatchObject({ outcome: 'delivered', summary: '1 instances stored at PACS_A' });
    expect([...calls[1].progress.deliveredInstances]).toEqual(['1.2.3.1']);
    const delivered = await taskOf(study);
    expect(delivered?.status).toBe('completed');
    expect(delivered?.extension?.find((extension) => extension.url.endsWith('/delivery-attempts'))?.valueInteger).toBe(2);

    const failing = await newStudy();
    const broken = recordingDriver(() => {
      throw new RetryableDeliveryError('association rejected');
    });
    await expect(deliverRoute(hub.medplum, eventFor(failing, 3), route([ctRule], 3), broken.driver, { logger: silent })).rejects.toThrow('association rejected');
    expect(await taskOf(failing)).toMatchObject({ status: 'failed', statusReason: { text: 'association rejected' } });
  });

  test('a permanent refusal fails the Task at once', async () => {
    const study = await newStudy();
    const { driver } = recordingDriver(() => {
      throw new PermanentError('0xA900 data set does not match SOP class');
    });
    await expect(deliverRoute(hub.medplum, eventFor(study, 1), route([ctRule], 5), driver, { logger: silent })).rejects.toThrow(PermanentError);
    const task = await taskOf(study);
    expect(task).toMatchObject({ status: 'failed' });
    expect(task?.businessStatus?.text).toContain('0xA900');
  });

  test('a delivery about something that is not a study or order is refused for good', async () => {
    const { driver } = recordingDriver();
    const event = { ...eventFor({ resourceType: 'Patient', id: patient.id } as never) };
    await expect(deliverRoute(hub.medplum, event, route([ctRule]), driver, { logger: silent })).rejects.toThrow(/takes ImagingStudy and ServiceRequest deliveries; this one carries Patient\//);
  });
});
