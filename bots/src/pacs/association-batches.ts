import { contextKeysOf, MAX_PRESENTATION_CONTEXTS, type StoredSyntax } from './presentation-contexts.ts';

/**
 * Groups instances into associations: at most `instancesPerAssociation` each, and never more
 * presentation contexts than one association can propose. Incremental, so the caller reads file
 * headers as it goes instead of all of a large study's first.
 */
export class AssociationBatcher<T extends StoredSyntax> {
  readonly #maxInstances: number;
  #current: T[] = [];
  #keys = new Set<string>();

  constructor(instancesPerAssociation: number) {
    this.#maxInstances = Math.max(1, instancesPerAssociation);
  }

  /** Adds an instance; returns the batch it closed when it did not fit in the current one. */
  add(instance: T): T[] | undefined {
    const keys = contextKeysOf(instance);
    const newKeys = keys.filter((key) => !this.#keys.has(key)).length;
    if (this.#current.length < this.#maxInstances && this.#keys.size + newKeys <= MAX_PRESENTATION_CONTEXTS) {
      this.#current.push(instance);
      for (const key of keys) this.#keys.add(key);
      return undefined;
    }
    const closed = this.#current;
    this.#current = [instance];
    this.#keys = new Set(keys);
    return closed;
  }

  /** The last, partly filled batch (empty when nothing is left). */
  finish(): T[] {
    const rest = this.#current;
    this.#current = [];
    this.#keys = new Set();
    return rest;
  }
}
