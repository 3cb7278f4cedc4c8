/**
 * The preview worker (`simpul previews`).
 *
 * Consumes: its own queue `previews`, bound to `simpul.ingest` with `dicom.#`, so it hears of each
 * instance the moment the receiver has stored it, beside (not after) the ingest worker. Rendering is
 * CPU work, done on low-priority threads (RenderPool), and never touches the C-STORE path.
 * Writes: one JPEG preview per instance and one thumbnail per series as Binary (ids derived from the
 * UIDs), and the extensions on the ImagingStudy that point at them.
 * Why a replay is harmless: the Binary ids are fixed by the UIDs and setting an extension to the same
 * Binary changes nothing.
 */
import { EXCHANGES, PermanentError, declareTopology, workQueueSpecs, type Bus, type Envelope, type Logger, type Subscription } from '@simpul/infra';
import { PreviewError } from '../dicom/preview/index.ts';
import { parseDicomInstanceMessage } from '../dicom/scp/instance-message.ts';
import type { HubClient } from '../ingest/worker/hub-client.ts';
import { PreviewLinker } from './link-previews.ts';
import { previewBinaryId, thumbnailBinaryId } from './preview-ids.ts';
import { RenderPool } from './render-pool.ts';

export const PREVIEWS_QUEUE = 'previews';

export interface PreviewWorkerOptions {
  readonly hub: HubClient;
  /** The threads that render (low priority); `startPreviewWorker` starts one of its own when not given. */
  readonly renderer: RenderPool;
  /** `storage.dir`, where the receiver put the files. */
  readonly storageDir: string;
  readonly logger: Logger;
  /** How long a preview waits for the ingest worker to add its instance to the study. Default 30 s. */
  readonly waitForInstanceMs?: number;
  /** Called when a preview is linked (the benchmark measures stored → readable with it). */
  readonly onLinked?: (event: PreviewLinked) => void;
}

export interface PreviewLinked {
  readonly sopInstanceUid: string;
  /** When the receiver stored the instance (the envelope's receivedAt). */
  readonly receivedAt: string;
  readonly renderMs: number;
  readonly linkedAt: Date;
}

export type PreviewResult = { status: 'linked'; previewBinaryId: string } | { status: 'no-preview'; reason: string };

export interface PreviewHandler {
  handle(envelope: Envelope): Promise<PreviewResult>;
}

/** Series whose thumbnail this process has rendered (bounded; another worker rendering one too only makes a new version). */
const MAX_REMEMBERED_SERIES = 10_000;

export function createPreviewHandler(options: PreviewWorkerOptions): PreviewHandler {
  const linker = new PreviewLinker({ hub: options.hub, waitForInstanceMs: options.waitForInstanceMs });
  const seriesWithThumbnail = new Set<string>();
  return {
    async handle(envelope) {
      if (envelope.kind !== 'dicom') throw new PermanentError(`the preview worker only handles dicom messages, not "${envelope.kind}"`);
      const parsed = parseDicomInstanceMessage(envelope.body);
      if ('problem' in parsed) throw new PermanentError(parsed.problem);
      const { instance, file } = parsed.message;
      const log = options.logger.child({ messageId: envelope.id, sopInstanceUid: instance.sopInstanceUid });
      const withThumbnail = !seriesWithThumbnail.has(instance.seriesInstanceUid);
      const started = performance.now();
      let rendered;
      try {
        rendered = await options.renderer.render(options.storageDir, file.path, withThumbnail);
      } catch (error) {
        const reason = noPreviewReason(error);
        if (!reason) throw error;
        log.info({ reason }, 'no preview for this instance');
        return { status: 'no-preview', reason };
      }
      const renderMs = performance.now() - started;
      const previewId = previewBinaryId(instance.sopInstanceUid);
      await linker.link({
        studyInstanceUid: instance.studyInstanceUid,
        seriesInstanceUid: instance.seriesInstanceUid,
        sopInstanceUid: instance.sopInstanceUid,
        preview: { binaryId: previewId, jpeg: rendered.jpeg },
        ...(rendered.thumbnail ? { thumbnail: { binaryId: thumbnailBinaryId(instance.seriesInstanceUid), jpeg: rendered.thumbnail } } : {}),
      });
      if (withThumbnail) rememberSeries(seriesWithThumbnail, instance.seriesInstanceUid);
      options.onLinked?.({ sopInstanceUid: instance.sopInstanceUid, receivedAt: envelope.receivedAt, renderMs, linkedAt: new Date() });
      log.debug({ renderMs: Math.round(renderMs), width: rendered.width, height: rendered.height }, 'preview linked');
      return { status: 'linked', previewBinaryId: previewId };
    },
  };
}

export interface PreviewWorker {
  close(): Promise<void>;
}

export interface StartPreviewWorkerOptions extends Omit<PreviewWorkerOptions, 'renderer'> {
  readonly bus: Bus;
  /** Rendering threads. Default: one per processor but one, at least one. */
  readonly renderThreads?: number;
  /** Messages worked on at once. Default 4. */
  readonly prefetch?: number;
  readonly maxAttempts?: number;
  readonly retryDelaysMs?: number[];
}

export async function startPreviewWorker(options: StartPreviewWorkerOptions): Promise<PreviewWorker> {
  const renderer = await RenderPool.start(options.renderThreads);
  const handler = createPreviewHandler({ ...options, renderer });
  await declareTopology(options.bus, { bots: [] });
  await options.bus.declare({
    exchanges: [],
    queues: workQueueSpecs(PREVIEWS_QUEUE, {
      bindings: [{ exchange: EXCHANGES.ingest, routingKey: 'dicom.#' }],
      retryDelaysMs: options.retryDelaysMs ?? [1_000, 10_000, 60_000, 300_000],
    }),
  });
  const subscription: Subscription = await options.bus.consume(PREVIEWS_QUEUE, (envelope) => handler.handle(envelope).then(() => undefined), {
    prefetch: options.prefetch ?? 4,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
  options.logger.info({ queue: PREVIEWS_QUEUE }, 'preview worker consuming');
  return {
    async close() {
      await subscription.close();
      await renderer.close();
    },
  };
}

/** Why an instance gets no preview (and the message is done), or undefined for a failure worth retrying. */
function noPreviewReason(error: unknown): string | undefined {
  if (error instanceof PreviewError) return error.message;
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `the file is no longer in the blob store (${(error as Error).message})`;
  return undefined;
}

function rememberSeries(series: Set<string>, uid: string): void {
  if (series.size >= MAX_REMEMBERED_SERIES) series.delete(series.values().next().value as string);
  series.add(uid);
}
