/**
 * A preview rendering thread (see render-pool.ts). It lowers its own scheduling priority first: on
 * Linux the niceness of a thread is its own, so the receiver and the hub keep the processors they need
 * while previews use what is left.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { PreviewError, initializeCodecs } from '../dicom/preview/index.ts';
import { renderInstance } from './render-instance.ts';

export interface RenderRequest {
  readonly id: number;
  readonly storageDir: string;
  readonly path: string;
  readonly withThumbnail: boolean;
}

export type RenderReply =
  | { readonly id: number; readonly ok: true; readonly preview: Uint8Array; readonly width: number; readonly height: number; readonly thumbnail?: Uint8Array }
  | { readonly id: number; readonly ok: false; readonly previewError?: { reason: string; message: string }; readonly code?: string; readonly message: string };

const RENDER_NICENESS = 10;

try {
  setPriority(RENDER_NICENESS);
} catch {
  // Not allowed in this environment (some containers): the thread renders at normal priority.
}
await initializeCodecs();

parentPort?.on('message', (request: RenderRequest) => {
  renderInstance(request.storageDir, request.path, request.withThumbnail).then(
    (rendered) => {
      const reply: RenderReply = {
        id: request.id,
        ok: true,
        preview: rendered.preview.jpeg,
        width: rendered.preview.width,
        height: rendered.preview.height,
        ...(rendered.thumbnail ? { thumbnail: rendered.thumbnail } : {}),
      };
      parentPort?.postMessage(reply);
    },
    (error: unknown) => {
      const reply: RenderReply = {
        id: request.id,
        ok: false,
        message: (error as Error).message,
        ...(error instanceof PreviewError ? { previewError: { reason: error.reason, message: error.message } } : {}),
        ...((error as NodeJS.ErrnoException).code ? { code: (error as NodeJS.ErrnoException).code } : {}),
      };
      parentPort?.postMessage(reply);
    },
  );
});
parentPort?.postMessage({ ready: true });
