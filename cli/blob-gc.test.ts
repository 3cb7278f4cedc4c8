import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import type { Binary, ImagingStudy, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess, type HubProcess } from '../adapters/test/support/hub-process.ts';
import { collectBlobGarbage, hubBlobReferences } from './blob-gc.ts';
import { formatBlobGcReport } from './dicom-commands.ts';

/** `simpul blobs gc` against a real hub process and its blob store. */

const STUDY = '1.2.826.0.1.3680043.10.6006';
const DAY = 86_400_000;

describe('blob store garbage collection', () => {
  let storage: string;
  let hub: HubProcess;
  let client: MedplumClient;
  let binary: Binary;

  async function file(path: string, ageDays: number): Promise<void> {
    const full = join(storage, path);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, `contents of ${path}`);
    const when = new Date(Date.now() - ageDays * DAY);
    await utimes(full, when, when);
  }

  const exists = (path: string) => stat(join(storage, path)).then(() => true, () => false);

  beforeAll(async () => {
    storage = await mkdtemp(join(tmpdir(), 'simpul-gc-'));
    hub = await startHubProcess({ SIMPUL_STORAGE_DIR: storage });
    client = new MedplumClient({ baseUrl: hub.url, storage: new ClientStorage(new MemoryStorage()), cacheTime: 0, refreshGracePeriod: 30_000 });
    await client.startClientLogin(hub.adminClientId, hub.adminClientSecret);
    const patient = await client.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Gc' }] });
    await client.createResource<ImagingStudy>({
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: { reference: `Patient/${patient.id}` },
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${STUDY}` }],
      series: [{ uid: `${STUDY}.1`, modality: { code: 'CT' }, instance: [{ uid: `${STUDY}.1.1`, sopClass: { code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } }] }],
    });
    binary = await client.createBinary(Buffer.from('jpeg bytes'), undefined, 'image/jpeg');
    await file(`dicom/${STUDY}/${STUDY}.1/${STUDY}.1.1.dcm`, 30);
    await file(`dicom/${STUDY}/${STUDY}.1/${STUDY}.1.2.dcm`, 30);
    await file(`dicom/${STUDY}/${STUDY}.1/${STUDY}.1.3.dcm`, 1);
    await file('dicom/1.2.3.4/1.2.3.4.1/1.2.3.4.1.1.dcm', 30);
    await file('dicom/.incoming/vm-123-abcd/0f6a.part', 2);
    await file('binary/ghost-binary/1', 30);
    await file(`binary/${binary.id}/.5d3c.tmp`, 2);
  });

  afterAll(async () => {
    await hub?.stop();
    await rm(storage, { recursive: true, force: true });
  });

  it('reports orphans without removing anything in a dry run', async () => {
    const report = await collectBlobGarbage({ storageDir: storage, retentionMs: 7 * DAY, dryRun: true, hub: hubBlobReferences(client) });
    expect(report.orphans.map((o) => o.path).sort()).toEqual(
      [
        `binary/${binary.id}/.5d3c.tmp`,
        'binary/ghost-binary/1',
        'dicom/.incoming/vm-123-abcd/0f6a.part',
        'dicom/1.2.3.4/1.2.3.4.1/1.2.3.4.1.1.dcm',
        `dicom/${STUDY}/${STUDY}.1/${STUDY}.1.2.dcm`,
        `dicom/${STUDY}/${STUDY}.1/${STUDY}.1.3.dcm`,
      ].sort(),
    );
    expect(report.orphans.every((o) => !o.removed)).toBe(true);
    expect(report.orphans.find((o) => o.path.endsWith('1.2.3.4.1.1.dcm'))?.reason).toBe('no ImagingStudy has this Study Instance UID');
    expect(report.orphans.find((o) => o.path.endsWith(`${STUDY}.1.2.dcm`))?.reason).toBe('the ImagingStudy does not list this instance');
    expect(formatBlobGcReport(report, 7, true)).toMatch(/6 orphaned \(dry run: nothing removed\)/);
    expect(await exists('binary/ghost-binary/1')).toBe(true);
  });

  it('removes orphans older than the retention, keeps young ones and everything the hub refers to', async () => {
    const report = await collectBlobGarbage({ storageDir: storage, retentionMs: 7 * DAY, dryRun: false, hub: hubBlobReferences(client) });
    expect(report.orphans.filter((o) => o.removed).map((o) => o.path).sort()).toEqual(
      ['binary/ghost-binary/1', 'dicom/1.2.3.4/1.2.3.4.1/1.2.3.4.1.1.dcm', `dicom/${STUDY}/${STUDY}.1/${STUDY}.1.2.dcm`].sort(),
    );
    expect(await exists(`dicom/${STUDY}/${STUDY}.1/${STUDY}.1.1.dcm`)).toBe(true);
    expect(await exists(`dicom/${STUDY}/${STUDY}.1/${STUDY}.1.3.dcm`)).toBe(true);
    expect(await exists('dicom/.incoming/vm-123-abcd/0f6a.part')).toBe(true);
    expect(await exists('dicom/1.2.3.4')).toBe(false);
    expect(await exists('binary/ghost-binary')).toBe(false);
    expect(await readdir(join(storage, 'binary', binary.id as string))).toContain(binary.meta?.versionId);
    expect(formatBlobGcReport(report, 7, false)).toMatch(/3 removed \(\d+ bytes\), 3 younger than 7 day\(s\) kept/);
  });
});
