/**
 * Values by canonical URL and version. A lookup without a version returns the version added most
 * recently (FHIR leaves "latest" to the server; the most recent load is what an operator expects
 * after loading a newer list on top of the starter content).
 */
export class CanonicalTable<T> {
  private readonly byUrl = new Map<string, Map<string, { value: T; sequence: number }>>();
  private sequence = 0;

  set(url: string, version: string | undefined, value: T): void {
    let versions = this.byUrl.get(url);
    if (!versions) {
      versions = new Map();
      this.byUrl.set(url, versions);
    }
    versions.delete(version ?? '');
    versions.set(version ?? '', { value, sequence: ++this.sequence });
  }

  get(url: string, version?: string): T | undefined {
    const versions = this.byUrl.get(url);
    if (!versions) return undefined;
    if (version !== undefined) return versions.get(version)?.value;
    let latest: { value: T; sequence: number } | undefined;
    for (const entry of versions.values()) if (!latest || entry.sequence > latest.sequence) latest = entry;
    return latest?.value;
  }

  /** Removes one version, or every version when none is given; returns how many were removed. */
  delete(url: string, version?: string): number {
    const versions = this.byUrl.get(url);
    if (!versions) return 0;
    if (version === undefined) {
      this.byUrl.delete(url);
      return versions.size;
    }
    const removed = versions.delete(version) ? 1 : 0;
    if (versions.size === 0) this.byUrl.delete(url);
    return removed;
  }

  /** Every stored version. */
  *values(): IterableIterator<T> {
    for (const versions of this.byUrl.values()) for (const entry of versions.values()) yield entry.value;
  }

  /** The latest version of each URL. */
  *latest(): IterableIterator<T> {
    for (const url of this.byUrl.keys()) {
      const value = this.get(url);
      if (value !== undefined) yield value;
    }
  }

  get size(): number {
    let count = 0;
    for (const versions of this.byUrl.values()) count += versions.size;
    return count;
  }
}
