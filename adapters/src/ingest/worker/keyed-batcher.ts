/**
 * Runs work per key one batch at a time: items of a key that arrive while its batch is being processed
 * wait and go together into the next batch. Under load a study's instances are written a few dozen at a
 * time (one read-merge-write instead of one per instance); alone, an item is processed at once.
 * Different keys run concurrently. Each item's promise settles with its own result.
 */
export class KeyedBatcher<Item, Result> {
  readonly #process: (key: string, items: Item[]) => Promise<(Result | Error)[]>;
  readonly #maxBatch: number;
  readonly #queues = new Map<string, Pending<Item, Result>[]>();

  /** `process` returns one result (or Error) per item, in order; if it throws, every item of the batch fails with that. */
  constructor(process: (key: string, items: Item[]) => Promise<(Result | Error)[]>, maxBatch = 64) {
    this.#process = process;
    this.#maxBatch = maxBatch;
  }

  add(key: string, item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const queue = this.#queues.get(key);
      if (queue) {
        queue.push({ item, resolve, reject });
        return;
      }
      this.#queues.set(key, [{ item, resolve, reject }]);
      void this.#drain(key);
    });
  }

  /** Keys with work queued or running. */
  get activeKeys(): number {
    return this.#queues.size;
  }

  async #drain(key: string): Promise<void> {
    for (let queue = this.#queues.get(key); queue && queue.length > 0; queue = this.#queues.get(key)) {
      const batch = queue.splice(0, this.#maxBatch);
      try {
        const results = await this.#process(key, batch.map((pending) => pending.item));
        batch.forEach((pending, i) => {
          const result = results[i];
          if (result instanceof Error) pending.reject(result);
          else pending.resolve(result);
        });
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.#queues.delete(key);
  }
}

interface Pending<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}
