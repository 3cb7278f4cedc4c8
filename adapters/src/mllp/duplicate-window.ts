import { hash, randomUUID } from 'node:crypto';
import type { MessageHeader } from './message-header.ts';

/**
 * Duplicate detection at the edge. A sender that lost our ACK sends the message again with the
 * same MSH-10; inside the window it gets the ACK again and the message is not published again.
 *
 * The key is (source, MSH-3, MSH-4, MSH-10, digest of the content after MSH plus MSH-9), so a
 * retransmission with a fresh MSH-7 is still a duplicate, but a sender that reuses control ids for
 * different messages does not lose them (they are published, with a warning).
 *
 * The memory is per process and bounded. Across restarts and replicas the envelope id does the
 * same job: it is a UUIDv5 of the key and the window bucket (receive time / window), so a copy
 * stored by another replica in the same bucket carries the same id and the ingest worker, which
 * is idempotent on envelope id, drops it.
 */

export interface DuplicateKeyParts {
  source: string;
  header: Pick<MessageHeader, 'sendingApplication' | 'sendingFacility' | 'controlId' | 'messageType'>;
  /** The decoded message text. */
  text: string;
}

export interface DuplicateKey {
  /** Who sent it and its control id. */
  identity: string;
  /** What it says (MSH-9 and every segment after MSH). */
  digest: string;
}

export function duplicateKey({ source, header, text }: DuplicateKeyParts): DuplicateKey {
  const firstBreak = text.search(/[\r\n]/);
  const afterHeader = firstBreak === -1 ? '' : text.slice(firstBreak);
  return {
    identity: [source, header.sendingApplication, header.sendingFacility, header.controlId].join('\u0000'),
    // Not a security boundary (a sender can always send new content): SHA-1 is plenty and cheap.
    digest: hash('sha1', `${header.messageType}\n${afterHeader}`, 'base64'),
  };
}

/** Random namespace for Simpul's MLLP envelope ids (fixed forever: changing it changes every id). */
const ENVELOPE_ID_NAMESPACE = Buffer.from('6c3f0a52d2a64e1f9a0e7b1d5c4e8f21', 'hex');

/**
 * The envelope id: UUIDv5 (RFC 9562) of the key and the window bucket; a random UUID when duplicate
 * detection is off (`windowMs` 0), so that every message is its own.
 */
export function envelopeIdFor(key: DuplicateKey, receivedAt: Date, windowMs: number): string {
  if (windowMs <= 0) return randomUUID();
  const bucket = Math.floor(receivedAt.getTime() / windowMs);
  const name = Buffer.from(`${key.identity}\u0000${key.digest}\u0000${bucket}`, 'utf8');
  const bytes = hash('sha1', Buffer.concat([ENVELOPE_ID_NAMESPACE, name]), 'buffer').subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `reused-id`: published, although the same sender used this control id for other content inside the window. */
export type DuplicateOutcome = 'published' | 'duplicate' | 'reused-id';

export interface DuplicateWindowOptions {
  windowMs: number;
  maxEntries: number;
  now?: () => number;
}

interface Remembered {
  digest: string;
  at: number;
}

/**
 * Remembers what was published in the last `windowMs` (at most `maxEntries`, oldest forgotten
 * first) and runs each key's publish at most once at a time: a copy that arrives while the first
 * is still being stored waits for it, then is a duplicate if it succeeded, or tries itself if not.
 */
export class DuplicateWindow {
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** identity → last content published under it; Map order is insertion order, so the first entry is the oldest. */
  readonly #published = new Map<string, Remembered>();
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(options: DuplicateWindowOptions) {
    this.#windowMs = options.windowMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#windowMs > 0;
  }

  get size(): number {
    return this.#published.size;
  }

  async runOnce(key: DuplicateKey, publish: () => Promise<void>): Promise<DuplicateOutcome> {
    if (!this.enabled) {
      await publish();
      return 'published';
    }
    const flightKey = `${key.identity}\u0000${key.digest}`;
    for (;;) {
      if (this.#recall(key.identity)?.digest === key.digest) return 'duplicate';
      const running = this.#inFlight.get(flightKey);
      if (!running) break;
      // The first copy's failure is its own sender's answer; this copy simply tries again.
      await running.then(
        () => undefined,
        () => undefined,
      );
    }
    const reused = this.#recall(key.identity) !== undefined;
    const attempt = publish();
    this.#inFlight.set(flightKey, attempt);
    try {
      await attempt;
      this.#remember(key);
      return reused ? 'reused-id' : 'published';
    } finally {
      this.#inFlight.delete(flightKey);
    }
  }

  #recall(identity: string): Remembered | undefined {
    const remembered = this.#published.get(identity);
    if (remembered === undefined) return undefined;
    if (this.#now() - remembered.at < this.#windowMs) return remembered;
    this.#published.delete(identity);
    return undefined;
  }

  #remember(key: DuplicateKey): void {
    this.#published.delete(key.identity);
    this.#published.set(key.identity, { digest: key.digest, at: this.#now() });
    this.#evict();
  }

  #evict(): void {
    const now = this.#now();
    for (const [identity, remembered] of this.#published) {
      if (this.#published.size <= this.#maxEntries && now - remembered.at < this.#windowMs) break;
      this.#published.delete(identity);
    }
  }
}
