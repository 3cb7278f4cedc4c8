/**
 * Runs tasks one after another per key and concurrently across keys: two deliveries about the
 * same resource for the same Subscription never run at once in this process, so they complete in
 * the order they were taken from the queue (DESIGN.md: ordering kept by design, per-key
 * serialisation in the consumer). A retry still comes back later than what followed it: order
 * across a failure, or across replicas, is not promised.
 */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
