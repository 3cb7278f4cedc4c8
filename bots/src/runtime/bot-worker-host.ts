import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { DeliveryFailure, permanentFailure, retryableFailure } from '../errors.ts';
import type { BotInvocation } from './bot-event.ts';
import type { BotWorkerData, FromWorker, ToWorker } from './worker-protocol.ts';

export interface BotWorkerHostOptions {
  data: BotWorkerData;
  logger: Logger;
  /** How long loading the module may take. Default 30 s. */
  startTimeoutMs?: number;
  /** V8 old-space limit of the thread; a bot that exceeds it loses its thread, not the process. Default 512. */
  maxMemoryMb?: number;
}

interface Pending {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const WORKER_URL = new URL('./bot-worker.ts', import.meta.url);
const MAX_RESTART_DELAY_MS = 5_000;

/**
 * The runtime's side of one bot's worker thread: sends deliveries, enforces the timeout, and
 * replaces the thread when it dies or must be stopped. A delivery that times out terminates the
 * thread (a hung handler cannot be interrupted any other way); deliveries running beside it fail
 * as retryable and come back on schedule with the same idempotency key.
 */
export class BotWorkerHost {
  readonly name: string;
  readonly #options: BotWorkerHostOptions;
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #ready: Promise<Worker> | undefined;
  #nextId = 1;
  #crashes = 0;
  #closed = false;

  constructor(options: BotWorkerHostOptions) {
    this.#options = options;
    this.name = options.data.name;
    this.#logger = options.logger;
  }

  /** Starts the thread and waits until the module is loaded; rejects with the reason when it cannot be. */
  async start(): Promise<void> {
    await this.#spawn();
  }

  /** Runs one delivery; resolves when the handler did, rejects with a retryable failure otherwise. */
  async invoke(invocation: BotInvocation, timeoutMs: number): Promise<void> {
    if (this.#closed) throw retryableFailure(DeliveryFailure.BOT_WORKER_STOPPED, `bot "${this.name}" is shutting down`);
    let worker: Worker;
    try {
      worker = await (this.#ready ?? this.#respawnAfterDelay());
    } catch (error) {
      throw retryableFailure(DeliveryFailure.BOT_WORKER_STOPPED, `bot "${this.name}" could not be started: ${(error as Error).message}`, error);
    }
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(retryableFailure(DeliveryFailure.BOT_TIMED_OUT, `bot "${this.name}" did not finish within ${timeoutMs} ms; its thread was restarted`));
        this.#restart(worker, `a delivery ran past its ${timeoutMs} ms timeout`);
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      const message: ToWorker = { type: 'invoke', id, invocation };
      worker.postMessage(message);
    });
  }

  /** Deliveries being handled right now. */
  get inFlight(): number {
    return this.#pending.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    this.#failPending(`bot "${this.name}" is shutting down`);
    await worker?.terminate();
  }

  async #respawnAfterDelay(): Promise<Worker> {
    const delay = Math.min(100 * 2 ** Math.max(0, this.#crashes - 1), MAX_RESTART_DELAY_MS);
    if (this.#crashes > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return this.#ready ?? this.#spawn();
  }

  #spawn(): Promise<Worker> {
    const { data, startTimeoutMs = 30_000, maxMemoryMb = 512 } = this.#options;
    const worker = new Worker(WORKER_URL, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb }, name: `bot ${data.name}` });
    this.#worker = worker;
    const ready = new Promise<Worker>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the module did not load within ${startTimeoutMs} ms`));
        void worker.terminate();
      }, startTimeoutMs);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(worker);
        } else if (message.type === 'load-failed') {
          clearTimeout(timer);
          reject(new Error(message.error));
        } else {
          this.#onMessage(message);
        }
      });
      worker.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
        this.#logger.error({ bot: this.name, err: error }, 'bot thread failed with an uncaught error; it will be replaced');
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the bot thread exited with code ${code}`));
        this.#onExit(worker, code);
      });
    });
    this.#ready = ready;
    // Rejections are observed by start()/invoke(); this keeps an unobserved one from being fatal.
    ready.catch((error: unknown) => this.#logger.debug({ bot: this.name, err: error }, 'bot thread did not start'));
    return ready;
  }

  #onMessage(message: Exclude<FromWorker, { type: 'ready' } | { type: 'load-failed' }>): void {
    if (message.type === 'log') {
      this.#logger[message.level]({ bot: this.name }, message.text);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return; // already timed out
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) {
      this.#crashes = 0;
      pending.resolve();
    } else if (message.code === 'not-json') {
      pending.reject(retryableFailure(DeliveryFailure.BOT_RESULT_NOT_JSON, `bot "${this.name}": ${message.error}`));
    } else if (message.code === 'threw-permanent') {
      pending.reject(permanentFailure(DeliveryFailure.BOT_REFUSED, `bot "${this.name}" failed permanently: ${message.error}`));
    } else {
      pending.reject(retryableFailure(DeliveryFailure.BOT_THREW, `bot "${this.name}" failed: ${message.error}`));
    }
  }

  #onExit(worker: Worker, code: number): void {
    if (this.#worker !== worker) return; // an older thread we already replaced
    this.#worker = undefined;
    this.#ready = undefined;
    if (this.#closed) return;
    this.#crashes++;
    this.#logger.warn({ bot: this.name, exitCode: code }, 'bot thread stopped; the next delivery starts a new one');
    this.#failPending(`the thread of bot "${this.name}" stopped (exit code ${code}) while this delivery was running`);
  }

  #restart(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    this.#logger.warn({ bot: this.name, reason }, 'restarting bot thread');
    this.#worker = undefined;
    this.#ready = undefined;
    this.#crashes++;
    this.#failPending(`the thread of bot "${this.name}" was restarted because ${reason}`);
    void worker.terminate();
  }

  #failPending(reason: string): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(retryableFailure(DeliveryFailure.BOT_WORKER_STOPPED, reason));
    }
  }
}
