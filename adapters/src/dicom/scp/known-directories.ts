import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDirectoryDurably } from '@simpul/infra';

/**
 * The study and series directories of the blob store this process writes into: created durably once,
 * then kept open so each new entry is made durable with one fsync of the directory and no open/close.
 * Syncs of one directory are group-committed: instances renamed into it while a sync runs share the
 * next one. Bounded: the least recently used directories are closed.
 */
export class KnownDirectories {
  readonly #root: string;
  readonly #limit: number;
  readonly #open = new Map<string, DirectoryState>();

  constructor(root: string, limit = 256) {
    this.#root = root;
    this.#limit = limit;
  }

  /** Creates the directory (and its parents) durably if this process has not seen it yet. */
  async ensure(relativeDir: string): Promise<void> {
    if (this.#open.has(relativeDir)) return;
    await ensureDirectoryDurably(this.#root, relativeDir);
  }

  /** Makes the entries created or renamed in the directory so far durable. */
  sync(relativeDir: string): Promise<void> {
    let state = this.#open.get(relativeDir);
    if (state) {
      // Most recently used last.
      this.#open.delete(relativeDir);
      this.#open.set(relativeDir, state);
    } else {
      const handle = open(join(this.#root, relativeDir), 'r');
      state = { handle, running: undefined, next: undefined };
      this.#open.set(relativeDir, state);
      // A directory that cannot be opened is not remembered: the next instance tries again.
      handle.catch(() => {
        if (this.#open.get(relativeDir) === state) this.#open.delete(relativeDir);
      });
      this.#evict();
    }
    return syncSoon(state);
  }

  async close(): Promise<void> {
    const states = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(states.map((state) => closeWhenIdle(state)));
  }

  #evict(): void {
    while (this.#open.size > this.#limit) {
      const [oldest, state] = this.#open.entries().next().value as [string, DirectoryState];
      this.#open.delete(oldest);
      void closeWhenIdle(state);
    }
  }
}

interface DirectoryState {
  readonly handle: Promise<FileHandle>;
  running: Promise<void> | undefined;
  /** The sync that will start when the running one ends, shared by everyone who asked meanwhile. */
  next: Promise<void> | undefined;
}

function syncSoon(state: DirectoryState): Promise<void> {
  if (!state.running) {
    state.running = state.handle
      .then((handle) => handle.sync())
      .finally(() => {
        state.running = undefined;
      });
    return state.running;
  }
  // An entry renamed now may be after the running sync began: it needs the next one.
  state.next ??= state.running
    .catch(() => undefined)
    .then(() => {
      state.next = undefined;
      return syncSoon(state);
    });
  return state.next;
}

async function closeWhenIdle(state: DirectoryState): Promise<void> {
  await Promise.allSettled([state.running, state.next]);
  const [opened] = await Promise.allSettled([state.handle]);
  if (opened.status === 'fulfilled') await opened.value.close();
}
