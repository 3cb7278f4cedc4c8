import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Endpoint, ImagingStudy, Patient, Provenance, ServiceRequest } from '@medplum/fhirtypes';
import { Bus, EXCHANGES, newEnvelope } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DicomScp } from '../src/dicom/scp/dicom-scp.ts';
import { instanceMessageId } from '../src/dicom/scp/instance-message.ts';
import { FIXTURE_SOURCE, readFixture } from '../src/ingest/hl7/fixtures/fixture-context.ts';
import { createV2TableTranslator } from '../src/ingest/hl7/index.ts';
import { resolveDicomIngestSettings } from '../src/ingest/worker/dicom-ingest-settings.ts';
import { createHubClient, createIngestHandler, startIngestWorker, type HubClient, type IngestWorker } from '../src/ingest/worker/index.ts';
import { SCP_AE, eventually, silentLogger, storescu, tempDir, writeStudy, startBusReceiver, type BusReceiver } from './dicom-support.ts';
import { startHubProcess, type HubProcess } from './support/hub-process.ts';

/**
 * The DICOM path end to end with real processes and peers: storescu → receiver → RabbitMQ → two ingest
 * workers (replicas) → a `simpul hub` process, then WADO-RS from the hub. The hub and the receiver share
 * the blob store directory, as they would on one machine.
 */

const ACCESSION_SYSTEM = 'http://sys-ids.kemkes.go.id/acsn/10000004';

describe('DICOM ingest against a real hub', () => {
  let storage: { path: string; remove(): Promise<void> };
  let files: { path: string; remove(): Promise<void> };
  let hub: HubProcess;
  let vhost: TestVhost;
  let bus: Bus;
  let receiver: BusReceiver;
  let scp: DicomScp;
  let client: HubClient;
  const workers: IngestWorker[] = [];

  beforeAll(async () => {
    storage = await tempDir('simpul-dicom-store-');
    files = await tempDir('simpul-dicom-files-');
    hub = await startHubProcess({ SIMPUL_STORAGE_DIR: storage.path });
    vhost = await createTestVhost('simpul_dicom');
    bus = await Bus.connect(vhost.url, { logger: silentLogger });
    client = await createHubClient({ baseUrl: hub.url, clientId: hub.adminClientId, clientSecret: hub.adminClientSecret });
    for (let replica = 0; replica < 2; replica++) {
      // Two workers with their own hub clients: replicas of `simpul ingest` sharing the queue.
      const replicaClient = await createHubClient({ baseUrl: hub.url, clientId: hub.adminClientId, clientSecret: hub.adminClientSecret });
      workers.push(
        await startIngestWorker({
          bus,
          hub: replicaClient,
          logger: silentLogger,
          hl7Sources: { rsudss: FIXTURE_SOURCE },
          translator: createV2TableTranslator(),
          prefetch: 16,
          maxAttempts: 5,
          duplicateWindowMs: 60_000,
          dicom: resolveDicomIngestSettings({ organizationId: '10000004', issuers: {} }, hub.url, storage.path),
        }),
      );
    }
    receiver = await startBusReceiver(vhost.url, storage.path);
    scp = receiver.scp;
  });

  afterAll(async () => {
    await receiver?.close();
    for (const worker of workers) await worker.close();
    await bus?.close();
    await vhost?.remove();
    await hub?.stop();
    await files?.remove();
    await storage?.remove();
  });

  async function study(uid: string): Promise<ImagingStudy | undefined> {
    const [found] = await client.search<ImagingStudy>('ImagingStudy', `identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${uid}`)}`);
    return found;
  }

  async function sendOrder(accession: string, placer: string): Promise<void> {
    const raw = readFixture('orm-o01-v2.3.1.hl7')
      .replace('ACC00403', accession)
      .replaceAll('ORD00199', placer)
      .replace('ORM0001', `ORM-${randomUUID().slice(0, 8)}`)
      .split(/\r\n|\r|\n/)
      .join('\r');
    const envelope = newEnvelope({ kind: 'hl7', source: 'rsudss', contentType: 'x-application/hl7-v2+er7', body: raw });
    await bus.publish(EXCHANGES.ingest, 'hl7.rsudss', envelope);
    await eventually('the order to be stored', async () => (await client.search<ServiceRequest>('ServiceRequest', `identifier=${encodeURIComponent(`${ACCESSION_SYSTEM}|${accession}`)}`)).length === 1);
  }

  async function sendStudy(uid: string, series: number, perSeries: number, accession?: string, associations = 1): Promise<string[]> {
    const { files: paths } = await writeStudy(join(files.path, uid), { studyUid: uid, series, instancesPerSeries: perSeries, accessionNumber: accession });
    // Round-robin, so that every association carries instances of every series.
    const groups = Array.from({ length: associations }, (_, a) => paths.filter((_, i) => i % associations === a));
    const results = await Promise.all(groups.map((group) => storescu(scp.port, group, ['-v'])));
    let succeeded = 0;
    for (const result of results) {
      const sent = result.output.match(/Sending Store Request/g)?.length ?? 0;
      expect(result.output.match(/Response \(Success\)/g)?.length ?? 0, result.output.slice(-500)).toBe(sent);
      succeeded += sent;
    }
    expect(succeeded).toBe(paths.length);
    return paths;
  }

  it('makes one correct ImagingStudy of 3 series × 40 instances sent over 4 parallel associations to 2 ingest workers', async () => {
    const uid = '1.2.826.0.1.3680043.10.3003';
    await sendStudy(uid, 3, 40, undefined, 4);
    await eventually('120 instances in the study', async () => (await study(uid))?.numberOfInstances === 120, 60_000);
    const result = (await study(uid)) as ImagingStudy;
    expect(result.numberOfSeries).toBe(3);
    expect(result.series?.map((s) => [s.uid, s.number, s.instance?.length])).toEqual([
      [`${uid}.1`, 1, 40],
      [`${uid}.2`, 2, 40],
      [`${uid}.3`, 3, 40],
    ]);
    expect(result.series?.[0].instance?.map((i) => i.number)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(result.modality).toEqual([expect.objectContaining({ code: 'CT' })]);
    expect(await client.search<ImagingStudy>('ImagingStudy', `identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${uid}`)}`)).toHaveLength(1);

    const patient = (await client.searchPatients(`identifier=${encodeURIComponent('http://sys-ids.kemkes.go.id/mrn/10000004|RM-0001')}`)) as Patient[];
    expect(patient).toHaveLength(1);
    expect(result.subject?.reference).toBe(`Patient/${patient[0].id}`);
    expect(patient[0]).toMatchObject({ birthDate: '1980-08-17', gender: 'male', name: [expect.objectContaining({ family: 'Santoso', given: ['Budi'] })] });

    const [endpoint] = await client.search<Endpoint>('Endpoint', `_id=${result.endpoint?.[0].reference?.split('/')[1]}`);
    expect(endpoint).toMatchObject({ status: 'active', address: `${hub.url}dicomweb`, connectionType: { code: 'dicom-wado-rs' } });

    const provenance = await client.search<Provenance>('Provenance', `target=ImagingStudy/${result.id}&_count=200`);
    const named = new Set(provenance.flatMap((p) => p.entity ?? []).map((e) => e.what?.identifier?.value).filter((v) => v?.startsWith('urn:oid:')));
    expect(named.size).toBe(120);
    expect(provenance.length).toBeLessThan(120);

    const [row] = await hub.sql<{ stored: string; total: string }[]>`
      SELECT count(*) FILTER (WHERE status = 'stored') AS stored, count(*) AS total FROM message WHERE kind = 'dicom' AND control_id LIKE ${`${uid}.%`}`;
    expect({ stored: Number(row.stored), total: Number(row.total) }).toEqual({ stored: 120, total: 120 });
  });

  it('links the study to an order that came before the images', async () => {
    await sendOrder('ACC-BEFORE', 'ORD-BEFORE');
    const uid = '1.2.826.0.1.3680043.10.3004';
    await sendStudy(uid, 1, 2, 'ACC-BEFORE');
    await eventually('the study', async () => (await study(uid))?.numberOfInstances === 2);
    const [order] = await client.search<ServiceRequest>('ServiceRequest', `identifier=${encodeURIComponent(`${ACCESSION_SYSTEM}|ACC-BEFORE`)}`);
    expect((await study(uid))?.basedOn).toEqual([{ reference: `ServiceRequest/${order.id}` }]);
    expect((await study(uid))?.identifier).toContainEqual(expect.objectContaining({ system: ACCESSION_SYSTEM, value: 'ACC-BEFORE' }));
  });

  it('links the study to an order that comes after the images', async () => {
    const uid = '1.2.826.0.1.3680043.10.3005';
    await sendStudy(uid, 1, 2, 'ACC-AFTER');
    await eventually('the study', async () => (await study(uid))?.numberOfInstances === 2);
    expect((await study(uid))?.basedOn).toBeUndefined();
    await sendOrder('ACC-AFTER', 'ORD-AFTER');
    const [order] = await client.search<ServiceRequest>('ServiceRequest', `identifier=${encodeURIComponent(`${ACCESSION_SYSTEM}|ACC-AFTER`)}`);
    await eventually('the link to the order', async () => (await study(uid))?.basedOn?.[0]?.reference === `ServiceRequest/${order.id}`);
  });

  it('waits for an instance whose file is not whole yet, and ingests it once it is', async () => {
    const uid = '1.2.826.0.1.3680043.10.3007';
    const sop = `${uid}.1.1`;
    const handler = createIngestHandler({
      hub: client,
      logger: silentLogger,
      hl7Sources: {},
      translator: createV2TableTranslator(),
      maxAttempts: 5,
      duplicateWindowMs: 60_000,
      dicom: resolveDicomIngestSettings({ organizationId: '10000004', issuers: {} }, hub.url, storage.path),
    });
    const path = `dicom/${uid}/${uid}.1/${sop}.dcm`;
    const envelope = newEnvelope({
      id: instanceMessageId(sop),
      kind: 'dicom',
      source: 'CT01',
      contentType: 'application/json',
      body: {
        instance: {
          studyInstanceUid: uid,
          seriesInstanceUid: `${uid}.1`,
          sopInstanceUid: sop,
          sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          patient: { id: 'RM-0009' },
          study: {},
          series: { modality: 'CT' },
          instance: {},
          equipment: {},
          warnings: [],
        },
        file: { path, bytes: 10 },
        callingAeTitle: 'CT01',
        calledAeTitle: SCP_AE,
        remoteAddress: '127.0.0.1:1',
      },
    });
    await expect(handler.handle(envelope)).rejects.toThrow(/not in the blob store yet/);
    await mkdir(join(storage.path, 'dicom', uid, `${uid}.1`), { recursive: true });
    await writeFile(join(storage.path, path), 'short');
    await expect(handler.handle(envelope)).rejects.toThrow(/is 5 bytes, not 10 yet/);
    expect(await study(uid)).toBeUndefined();
    await writeFile(join(storage.path, path), '0123456789');
    expect((await handler.handle(envelope)).status).toBe('stored');
    expect((await study(uid))?.numberOfInstances).toBe(1);
  });

  it('serves the original bytes over WADO-RS behind the bearer token', async () => {
    const uid = '1.2.826.0.1.3680043.10.3006';
    await sendStudy(uid, 1, 1);
    await eventually('the study', async () => (await study(uid))?.numberOfInstances === 1);
    const path = `dicomweb/studies/${uid}/series/${uid}.1/instances/${uid}.1.1`;
    expect((await fetch(`${hub.url}${path}`)).status).toBe(401);
    const token = await accessToken(hub);
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/dicom' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/dicom; transfer-syntax=1.2.840.10008.1.2.1');
    const stored = await readFile(join(storage.path, 'dicom', uid, `${uid}.1`, `${uid}.1.1.dcm`));
    expect(Buffer.compare(Buffer.from(await response.arrayBuffer()), stored)).toBe(0);
  });
});

async function accessToken(hub: HubProcess): Promise<string> {
  const response = await fetch(`${hub.url}oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: hub.adminClientId, client_secret: hub.adminClientSecret }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
