import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PreviewError, type PreviewFailure } from '../dicom/preview/index.ts';
import type { RenderReply, RenderRequest } from './render-thread.ts';

/**
 * Renders previews on worker threads that run at a lower priority than everything else, so the CPU
 * work of previews can never slow the receiver or the hub, even in `simpul start` where they share one
 * process; and several previews render at once on machines with the cores for it.
 */

export interface RenderedPreview {
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
  readonly thumbnail: Buffer | undefined;
}

interface Job {
  readonly request: RenderRequest;
  readonly resolve: (rendered: RenderedPreview) => void;
  readonly reject: (error: Error) => void;
}

export class RenderPool {
  readonly #threads: { worker: Worker; busy: Job | undefined }[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  private constructor() {}

  /** Starts `threads` rendering threads (default: one per processor but one, at least one). */
  static async start(threads = Math.max(1, availableParallelism() - 1)): Promise<RenderPool> {
    const pool = new RenderPool();
    await Promise.all(Array.from({ length: threads }, () => pool.#spawn()));
    return pool;
  }

  render(storageDir: string, path: string, withThumbnail: boolean): Promise<RenderedPreview> {
    if (this.#closed) return Promise.reject(new Error('the render pool is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ request: { id: this.#nextId++, storageDir, path, withThumbnail }, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the render pool closed'));
    await Promise.all(this.#threads.map(({ worker }) => worker.terminate()));
  }

  async #spawn(): Promise<void> {
    const worker = new Worker(new URL('./render-thread.ts', import.meta.url));
    const thread = { worker, busy: undefined as Job | undefined };
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', () => {
        worker.off('error', reject);
        resolve();
      });
    });
    worker.on('message', (reply: RenderReply) => this.#settle(thread, reply));
    worker.on('error', (error) => {
      // A thread that died takes its job with it; the others carry on, and a replacement is started.
      thread.busy?.reject(error);
      thread.busy = undefined;
      this.#threads.splice(this.#threads.indexOf(thread), 1);
      if (!this.#closed) void this.#spawn().then(() => this.#dispatch());
    });
    this.#threads.push(thread);
    this.#dispatch();
  }

  #settle(thread: { busy: Job | undefined }, reply: RenderReply): void {
    const job = thread.busy;
    thread.busy = undefined;
    if (job && job.request.id === reply.id) {
      if (reply.ok) {
        job.resolve({
          jpeg: Buffer.from(reply.preview),
          width: reply.width,
          height: reply.height,
          thumbnail: reply.thumbnail ? Buffer.from(reply.thumbnail) : undefined,
        });
      } else {
        job.reject(rebuildError(reply));
      }
    }
    this.#dispatch();
  }

  #dispatch(): void {
    for (const thread of this.#threads) {
      if (thread.busy) continue;
      const job = this.#queue.shift();
      if (!job) return;
      thread.busy = job;
      thread.worker.postMessage(job.request);
    }
  }
}

function rebuildError(reply: Extract<RenderReply, { ok: false }>): Error {
  if (reply.previewError) {
    const prefix = `${reply.previewError.reason}: `;
    const message = reply.previewError.message.startsWith(prefix) ? reply.previewError.message.slice(prefix.length) : reply.previewError.message;
    return new PreviewError(reply.previewError.reason as PreviewFailure, message);
  }
  return Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {});
}
