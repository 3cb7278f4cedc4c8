import type { ProgressUpdate } from '../routing/destination-driver.ts';

/**
 * Batches progress checkpoints: accepted instances are recorded at most about once per `intervalMs`
 * (each checkpoint is a write to the hub) and always at `finish()`. A checkpoint runs in the background
 * so the association never waits for the hub; its failure is raised by the next `finish()`.
 */
export class ProgressCheckpoints {
  readonly #checkpoint: (update: ProgressUpdate) => Promise<void>;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #instances: string[] = [];
  #warnings: string[] = [];
  #lastFlush: number;
  #inFlight: Promise<void> = Promise.resolve();
  #error: unknown;
  #recorded = 0;

  constructor(checkpoint: (update: ProgressUpdate) => Promise<void>, options: { intervalMs?: number; now?: () => number } = {}) {
    this.#checkpoint = checkpoint;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#lastFlush = this.#now();
  }

  /** Instances recorded by checkpoints that completed. */
  get recorded(): number {
    return this.#recorded;
  }

  accepted(sopInstanceUid: string, warning?: string): void {
    this.#instances.push(sopInstanceUid);
    if (warning) this.#warnings.push(warning);
    if (this.#now() - this.#lastFlush >= this.#intervalMs) this.#flush();
  }

  /** Records whatever is pending and waits for every checkpoint; throws the first checkpoint failure. */
  async finish(): Promise<void> {
    this.#flush();
    await this.#inFlight;
    if (this.#error !== undefined) throw this.#error;
  }

  #flush(): void {
    if (this.#instances.length === 0 && this.#warnings.length === 0) return;
    const update: ProgressUpdate = { deliveredInstances: this.#instances, ...(this.#warnings.length > 0 ? { warnings: this.#warnings } : {}) };
    this.#instances = [];
    this.#warnings = [];
    this.#lastFlush = this.#now();
    // One at a time, in order: a later checkpoint never overtakes an earlier one.
    this.#inFlight = this.#inFlight.then(async () => {
      try {
        await this.#checkpoint(update);
        this.#recorded += update.deliveredInstances?.length ?? 0;
      } catch (error) {
        this.#error ??= error;
      }
    });
  }
}
