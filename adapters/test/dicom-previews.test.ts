import type { ImagingStudy } from '@medplum/fhirtypes';
import { Bus } from '@simpul/infra';
import { createTestVhost, type TestVhost } from '@simpul/infra/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJpeg } from '../src/dicom/preview/testing/jpeg-analysis.ts';
import type { DicomScp } from '../src/dicom/scp/dicom-scp.ts';
import { PREVIEW_EXTENSION_URL, THUMBNAIL_EXTENSION_URL } from '../src/ingest/dicom/index.ts';
import { FIXTURE_SOURCE } from '../src/ingest/hl7/fixtures/fixture-context.ts';
import { createV2TableTranslator } from '../src/ingest/hl7/index.ts';
import { resolveDicomIngestSettings } from '../src/ingest/worker/dicom-ingest-settings.ts';
import { createHubClient, startIngestWorker, type HubClient, type IngestWorker } from '../src/ingest/worker/index.ts';
import { startPreviewWorker, type PreviewLinked, type PreviewWorker } from '../src/previews/index.ts';
import { eventually, silentLogger, storescu, tempDir, writeStudy, startBusReceiver, type BusReceiver } from './dicom-support.ts';
import { SYNTAX_CASES, SyntaxFiles, sendWithPeer, type SyntaxFile } from './dicom-syntax-files.ts';
import { startHubProcess, type HubProcess } from './support/hub-process.ts';

/**
 * Previews made off the C-STORE path by the preview worker, against a real hub: one image per transfer
 * syntax (each in a series of its own), each preview a JPEG of the image's size that is not blank, linked
 * from its instance, and a thumbnail per series.
 */

const STUDY = '1.2.826.0.1.3680043.10.4004';

describe('previews of stored instances', () => {
  let storage: { path: string; remove(): Promise<void> };
  let files: { path: string; remove(): Promise<void> };
  let syntaxFiles: SyntaxFiles;
  let hub: HubProcess;
  let vhost: TestVhost;
  let bus: Bus;
  let receiver: BusReceiver;
  let scp: DicomScp;
  let client: HubClient;
  let ingest: IngestWorker;
  let previews: PreviewWorker;
  const linked: PreviewLinked[] = [];

  beforeAll(async () => {
    storage = await tempDir('simpul-preview-store-');
    files = await tempDir('simpul-preview-files-');
    syntaxFiles = await SyntaxFiles.create(files.path);
    hub = await startHubProcess({ SIMPUL_STORAGE_DIR: storage.path });
    vhost = await createTestVhost('simpul_previews');
    bus = await Bus.connect(vhost.url, { logger: silentLogger });
    client = await createHubClient({ baseUrl: hub.url, clientId: hub.adminClientId, clientSecret: hub.adminClientSecret });
    ingest = await startIngestWorker({
      bus,
      hub: client,
      logger: silentLogger,
      hl7Sources: { rsudss: FIXTURE_SOURCE },
      translator: createV2TableTranslator(),
      prefetch: 16,
      maxAttempts: 5,
      duplicateWindowMs: 60_000,
      dicom: resolveDicomIngestSettings({ organizationId: '10000004', issuers: {} }, hub.url, storage.path),
    });
    previews = await startPreviewWorker({ bus, hub: client, storageDir: storage.path, logger: silentLogger, onLinked: (event) => linked.push(event) });
    receiver = await startBusReceiver(vhost.url, storage.path);
    scp = receiver.scp;
  });

  afterAll(async () => {
    await receiver?.close();
    await previews?.close();
    await ingest?.close();
    await bus?.close();
    await vhost?.remove();
    await hub?.stop();
    await syntaxFiles?.dispose();
    await files?.remove();
    await storage?.remove();
  });

  async function study(uid: string): Promise<ImagingStudy | undefined> {
    const [found] = await client.search<ImagingStudy>('ImagingStudy', `identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${uid}`)}`);
    return found;
  }

  async function binaryBytes(reference: string): Promise<Buffer> {
    const token = await accessToken(hub);
    const response = await fetch(`${hub.url}fhir/R4/${reference}`, { headers: { authorization: `Bearer ${token}`, accept: 'image/jpeg' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\/jpeg/);
    return Buffer.from(await response.arrayBuffer());
  }

  it('renders a JPEG preview of the right size, not blank, for every transfer syntax, and a thumbnail per series', async () => {
    const sent: { name: string; series: string; file: SyntaxFile }[] = [];
    for (const [i, syntax] of SYNTAX_CASES.entries()) {
      const series = `${STUDY}.${i + 1}`;
      const file = await syntaxFiles.write(syntax, { study: STUDY, series, sop: `${series}.1` }, { SeriesNumber: i + 1, PatientID: 'RM-7001' });
      if (!file) continue;
      sent.push({ name: syntax.name, series, file });
      expect((await sendWithPeer(syntax, scp.port, file.path)).output, syntax.name).toMatch(/Response \(Success\)/);
    }
    await eventually(
      'a preview on every instance and a thumbnail on every series',
      async () => {
        const current = await study(STUDY);
        const series = current?.series ?? [];
        return (
          series.length === sent.length &&
          series.every((s) => s.extension?.some((e) => e.url === THUMBNAIL_EXTENSION_URL) && s.instance?.every((i) => i.extension?.some((e) => e.url === PREVIEW_EXTENSION_URL)))
        );
      },
      60_000,
    );
    const current = (await study(STUDY)) as ImagingStudy;
    for (const { name, series, file } of sent) {
      const entry = current.series?.find((s) => s.uid === series);
      const instance = entry?.instance?.find((i) => i.uid === file.sopInstanceUid);
      const preview = instance?.extension?.find((e) => e.url === PREVIEW_EXTENSION_URL)?.valueAttachment;
      expect(preview?.contentType, name).toBe('image/jpeg');
      const jpeg = await decodeJpeg(await binaryBytes(preview?.url as string));
      expect([jpeg.width, jpeg.height], name).toEqual([file.width, file.height]);
      expect(jpeg.standardDeviation(), `${name}: not blank`).toBeGreaterThan(20);
      // The gradients run dark (left) to bright (right).
      expect(jpeg.columnBandMean(0.8, 1), name).toBeGreaterThan(jpeg.columnBandMean(0, 0.2) + 50);
      const thumbnail = entry?.extension?.find((e) => e.url === THUMBNAIL_EXTENSION_URL)?.valueAttachment;
      const thumb = await decodeJpeg(await binaryBytes(thumbnail?.url as string));
      expect([thumb.width, thumb.height], `${name} thumbnail (never enlarged)`).toEqual([file.width, file.height]);
    }
    for (const event of linked) expect(Date.parse(event.receivedAt)).toBeLessThanOrEqual(event.linkedAt.getTime());
  });

  it('links the previews of a series sent in one go, with one thumbnail for the series', async () => {
    const uid = `${STUDY}.99`;
    const { files: paths } = await writeStudy(files.path, { studyUid: uid, series: 1, instancesPerSeries: 12, patientId: 'RM-7002' });
    const result = await storescu(scp.port, paths);
    expect(result.code, result.output).toBe(0);
    await eventually(
      'every instance previewed',
      async () => (await study(uid))?.series?.[0]?.instance?.filter((i) => i.extension?.some((e) => e.url === PREVIEW_EXTENSION_URL)).length === 12,
      60_000,
    );
    const series = (await study(uid))?.series?.[0];
    expect(series?.extension?.filter((e) => e.url === THUMBNAIL_EXTENSION_URL)).toHaveLength(1);
    const previewIds = new Set(series?.instance?.map((i) => i.extension?.find((e) => e.url === PREVIEW_EXTENSION_URL)?.valueAttachment?.url));
    expect(previewIds.size).toBe(12);
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
