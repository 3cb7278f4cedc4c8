/** One code the mappers met and could not translate. */
export interface UnmappedCodeEntry {
  system: string;
  code: string;
  display?: string;
  /** The system a translation was wanted in. */
  targetSystem?: string;
  count: number;
  /** ISO timestamps. */
  firstSeen: string;
  lastSeen: string;
  /** The message-store id of the first message that carried it, to look at an example. */
  exampleMessageId?: string;
}

export interface UnmappedCodeSighting {
  system: string;
  code: string;
  display?: string;
  targetSystem?: string;
  messageId?: string;
  /** Defaults to now. */
  at?: Date;
}

export interface UnmappedCodeTrackerOptions {
  /** Distinct codes kept; sightings of new codes past this are only counted in `dropped`. Default 10 000. */
  maxEntries?: number;
}

/**
 * Counts untranslatable codes for the "unmapped codes" report: which codes, how often, since
 * when, and one message to look at. In memory, per process; the report is what a caller persists
 * or serves.
 */
export class UnmappedCodeTracker {
  private readonly entries = new Map<string, UnmappedCodeEntry>();
  private readonly maxEntries: number;
  private droppedCount = 0;

  constructor(options: UnmappedCodeTrackerOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  }

  record(sighting: UnmappedCodeSighting): void {
    const at = (sighting.at ?? new Date()).toISOString();
    const key = `${sighting.system}\u0000${sighting.code}\u0000${sighting.targetSystem ?? ''}`;
    const entry = this.entries.get(key);
    if (entry) {
      entry.count++;
      if (at > entry.lastSeen) entry.lastSeen = at;
      if (at < entry.firstSeen) entry.firstSeen = at;
      entry.display ??= sighting.display || undefined;
      entry.exampleMessageId ??= sighting.messageId;
      return;
    }
    if (this.entries.size >= this.maxEntries) {
      this.droppedCount++;
      return;
    }
    this.entries.set(key, {
      system: sighting.system,
      code: sighting.code,
      ...(sighting.display ? { display: sighting.display } : undefined),
      ...(sighting.targetSystem ? { targetSystem: sighting.targetSystem } : undefined),
      count: 1,
      firstSeen: at,
      lastSeen: at,
      ...(sighting.messageId ? { exampleMessageId: sighting.messageId } : undefined),
    });
  }

  /** Copies of the entries, most frequent first (then most recent, then by system and code). */
  report(): UnmappedCodeEntry[] {
    return [...this.entries.values()]
      .map((entry) => ({ ...entry }))
      .sort(
        (a, b) =>
          b.count - a.count ||
          b.lastSeen.localeCompare(a.lastSeen) ||
          a.system.localeCompare(b.system) ||
          a.code.localeCompare(b.code),
      );
  }

  /** Distinct codes tracked. */
  get size(): number {
    return this.entries.size;
  }

  /** Sightings of new codes not kept because maxEntries was reached. */
  get dropped(): number {
    return this.droppedCount;
  }

  clear(): void {
    this.entries.clear();
    this.droppedCount = 0;
  }
}
