import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagingStudy, Patient, Task } from '@medplum/fhirtypes';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DELIVERY_TASK_SYSTEM } from '../src/routing/delivery-task.ts';
import { ChildPart } from './support/child-part.ts';
import { imagingStudyOf, testUid, writeTestInstance, type TestInstance } from './support/dicom-files.ts';
import { eventually } from './support/runtime-fixture.ts';
import { startStorescp, type Storescp } from './support/storescp.ts';
import { startTestHub, type BotsTestHub } from './support/test-hub.ts';

/**
 * The route bot killed (SIGKILL) in the middle of a study resumes from its Task and sends only what
 * the Task does not list yet. The PACS is dcmtk storescp writing every C-STORE it accepts to a file
 * of its own (`--unique-filenames`) and pausing after each (`--sleep-after 1`), so the study takes long
 * enough to be interrupted and every instance it was sent can be counted.
 */
const INSTANCES = 12;

let vhost: TestVhost;
let hub: BotsTestHub;
let dir: string;
let pacs: Storescp;
let runtime: ChildPart;

beforeAll(async () => {
  vhost = await createTestVhost('simpul_routing_resume');
  dir = await mkdtemp(join(tmpdir(), 'simpul-routing-resume-'));
  [hub, pacs] = await Promise.all([startTestHub({ relay: true, busUrl: vhost.url }), startStorescp(dir, ['--unique-filenames', '--sleep-after', '1'])]);
  const runtimeClient = await hub.client('bots runtime');
  const config = {
    hub: { baseUrl: hub.url },
    bus: { url: vhost.url, prefetch: 8 },
    storage: { dir: join(dir, 'blobs') },
    log: { level: 'warn' },
    bots: { ...runtimeClient, restHook: { enabled: false } },
    routing: {
      destinations: {
        slow: { type: 'pacs', aeTitle: 'STORESCP', host: '127.0.0.1', port: pacs.port, retryDelaysMs: [300, 600], maxAttempts: 10, attemptTimeoutMs: 120_000 },
      },
      rules: [{ name: 'all-studies', when: { resourceType: 'ImagingStudy' }, sendTo: ['slow'] }],
    },
  };
  const configFile = join(dir, 'simpul.yaml');
  await writeFile(configFile, JSON.stringify(config)); // JSON is YAML
  runtime = new ChildPart('bots', ['bots/test/support/run-runtime.ts'], { SIMPUL_CONFIG: configFile }, /^READY$/);
  await runtime.start();
  const subscriptions = await hub.medplum.searchResources('Subscription', { status: 'active' });
  await hub.subscriptionsLive(subscriptions.map((subscription) => subscription.id as string));
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  await pacs?.stop();
  await hub?.close();
  await vhost?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

/** Every C-STORE storescp accepted (one file each, also for a repeated instance). */
async function storesReceived(): Promise<number> {
  return (await readdir(pacs.outputDir)).length;
}

function deliveredUids(task: Task | undefined): string[] {
  return (task?.output ?? []).filter((output) => output.valueOid).map((output) => (output.valueOid as string).replace('urn:oid:', ''));
}

describe('a route bot killed mid-study', () => {
  test('resumes and sends only the instances its Task does not list', async () => {
    const patient = await hub.medplum.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Resume' }] });
    const studyUid = testUid();
    const seriesUid = testUid();
    const files: TestInstance[] = [];
    for (let i = 0; i < INSTANCES; i++) files.push(await writeTestInstance(join(dir, 'blobs'), { studyUid, seriesUid }));
    const { id: _id, ...shape } = imagingStudyOf(files);
    const study = await hub.medplum.createResource<ImagingStudy>({ ...shape, subject: { reference: `Patient/${patient.id}` } });
    const taskSearch = { identifier: `${DELIVERY_TASK_SYSTEM}|slow/ImagingStudy/${study.id}` };

    await eventually('a few instances recorded in the Task', async () => {
      const task = await hub.medplum.searchOne('Task', taskSearch);
      return deliveredUids(task).length >= 3 ? true : undefined;
    }, 60_000);
    await runtime.kill();
    // What the killed attempt managed to record; storescp may still finish the instance it was receiving.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const recorded = deliveredUids(await hub.medplum.searchOne('Task', taskSearch));
    const beforeRestart = await storesReceived();
    expect(recorded.length).toBeGreaterThanOrEqual(3);
    expect(recorded.length).toBeLessThan(INSTANCES);

    await runtime.start();
    const done = await eventually('the delivery to finish', async () => {
      const task = await hub.medplum.searchOne('Task', taskSearch);
      return task?.status === 'completed' ? task : undefined;
    }, 90_000);
    expect(deliveredUids(done).sort()).toEqual(files.map((file) => file.sopInstanceUid).sort());
    expect(await storesReceived(), 'after the restart exactly the unrecorded instances were sent').toBe(beforeRestart + (INSTANCES - recorded.length));
  }, 180_000);
});
