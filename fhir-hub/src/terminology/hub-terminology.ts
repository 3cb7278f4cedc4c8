import {
  createTranslator,
  loadTerminologyDir,
  loadTerminologyPath,
  STARTER_CONTENT_DIR,
  TerminologyStore,
  type TerminologyResource,
  type Translator,
} from '@simpul/terminology';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';

export const TERMINOLOGY_CHANGED_CHANNEL = 'simpul_terminology';
export const TERMINOLOGY_RESOURCE_TYPES = ['CodeSystem', 'ValueSet', 'ConceptMap'] as const;

export interface HubTerminologyOptions {
  /** Load the shipped starter content first (default true). */
  starterContent?: boolean;
  /** Files or directories loaded after the starter content, at start (config `terminology.load`). */
  load?: readonly string[];
}

/** One consistent view: the store the operations read and the translator cached over it. */
export interface TerminologySnapshot {
  store: TerminologyStore;
  translator: Translator;
}

interface StoredEntry {
  versionId: string;
  lastUpdated: string;
  resource: TerminologyResource;
}

/** Local writes remembered for read-your-writes before falling back to one full reload. */
const MAX_PENDING_TRANSACTIONS = 1000;

let starterContent: Promise<TerminologyResource[]> | undefined;

/** The shipped files never change while the process runs: parse them once. */
function loadStarterResources(): Promise<TerminologyResource[]> {
  starterContent ??= loadTerminologyDir(STARTER_CONTENT_DIR).catch((err: unknown) => {
    starterContent = undefined;
    throw err;
  });
  return starterContent;
}

/**
 * The hub's terminology service state: a TerminologyStore holding the starter content, the files
 * named in config, and every CodeSystem, ValueSet and ConceptMap stored in the hub (those win).
 *
 * Kept current two ways. Any replica writing one of those types sends a NOTIFY on commit
 * (terminology-write-listener.ts), and every replica reloads. The replica that did the write also
 * remembers the writing transaction's id, and the next operation it serves checks whether that
 * transaction committed and reloads first if so: a client that writes a ConceptMap and then calls
 * `$translate` on the same replica sees its map, without waiting for the notification to arrive.
 *
 * A reload only fetches rows whose version changed and then rebuilds the store off to the side,
 * swapping it in when complete; requests never see a half-built store.
 */
export class HubTerminology {
  private snapshot: TerminologySnapshot;
  private readonly sql: Sql;
  private readonly logger: Logger;
  private readonly options: HubTerminologyOptions;
  private baseResources: readonly TerminologyResource[] = [];
  private stored = new Map<string, StoredEntry>();
  private readonly pendingTransactions = new Set<string>();
  private settling: Promise<void> | undefined;
  private reloading: Promise<void> | undefined;
  private reloadRequested = false;
  /** Reload before the next answer: a reload failed, or too many local writes to track one by one. */
  private stale = false;
  /** The store holds the base resources (set by the first reload after start). */
  private built = false;
  private unlisten: (() => Promise<void>) | undefined;

  /** Holds nothing until start(); the write listener can be created before. */
  constructor(sql: Sql, logger: Logger, options: HubTerminologyOptions = {}) {
    this.sql = sql;
    this.logger = logger;
    this.options = options;
    const store = new TerminologyStore();
    this.snapshot = { store, translator: createTranslator(store) };
  }

  /**
   * Loads the starter content and the configured files (a file that does not load stops the hub
   * with every problem listed), reads the hub's own terminology resources and starts listening.
   */
  async start(): Promise<void> {
    const base: TerminologyResource[] = [];
    if (this.options.starterContent ?? true) base.push(...(await loadStarterResources()));
    for (const path of this.options.load ?? []) base.push(...(await loadTerminologyPath(path)));
    this.baseResources = base;
    const listener = await this.sql.listen(TERMINOLOGY_CHANGED_CHANNEL, () => {
      void this.requestReload();
    });
    this.unlisten = () => listener.unlisten();
    this.stored = new Map();
    await this.requestReload();
    if (this.stale) throw new Error('Could not read the terminology resources stored in the hub (see the log)');
  }

  async stop(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
    await this.reloading;
  }

  /**
   * The current store and translator, after applying any terminology write this replica made
   * that has committed since (and any reload already under way).
   */
  async current(): Promise<TerminologySnapshot> {
    if (this.pendingTransactions.size > 0) await this.settlePending();
    if (this.stale) await this.requestReload();
    else if (this.reloading) await this.reloading;
    return this.snapshot;
  }

  /** Called by the write listener inside the writing transaction, with that transaction's id. */
  noteLocalWrite(transactionId: string): void {
    if (this.pendingTransactions.size >= MAX_PENDING_TRANSACTIONS) {
      // A bulk load nobody has asked an operation about yet: reload everything before the next answer instead.
      this.pendingTransactions.clear();
      this.stale = true;
    }
    this.pendingTransactions.add(transactionId);
  }

  /** Reloads now (coalesced with any reload under way); resolves when the store is current. */
  requestReload(): Promise<void> {
    this.reloadRequested = true;
    this.reloading ??= this.runReloads();
    return this.reloading;
  }

  /** Never rejects: a failure is logged and leaves `stale` set, so the next request tries again. */
  private async runReloads(): Promise<void> {
    try {
      while (this.reloadRequested) {
        this.reloadRequested = false;
        await this.reloadOnce();
        this.stale = false;
      }
    } catch (err) {
      this.stale = true;
      this.logger.error({ err }, 'reloading the terminology resources stored in the hub failed; serving the previous content');
    } finally {
      // Cleared in the same step as the last check of reloadRequested, so no request is lost in between.
      this.reloading = undefined;
    }
  }

  /** Transactions still in progress stay pending; committed ones trigger a reload, aborted ones are forgotten. */
  private settlePending(): Promise<void> {
    this.settling ??= (async () => {
      const ids = [...this.pendingTransactions];
      const rows = await this.sql<{ id: string; status: string | null }[]>`
        SELECT id, txid_status(id::bigint) AS status FROM unnest(${ids}::text[]) AS id`;
      let committed = false;
      for (const row of rows) {
        if (row.status === 'in progress') continue;
        this.pendingTransactions.delete(row.id);
        // NULL: too old for the commit log to say; reloading is always safe.
        if (row.status !== 'aborted') committed = true;
      }
      if (committed) await this.requestReload();
    })().finally(() => {
      this.settling = undefined;
    });
    return this.settling;
  }

  private async reloadOnce(): Promise<void> {
    const listed = await this.sql<{ resource_type: string; id: string; version_id: string; last_updated: Date }[]>`
      SELECT resource_type, id, version_id, last_updated FROM resource
      WHERE resource_type IN ${this.sql(TERMINOLOGY_RESOURCE_TYPES)} AND NOT deleted`;
    const next = new Map<string, StoredEntry>();
    const changed = new Map<string, string[]>();
    for (const row of listed) {
      const key = `${row.resource_type}/${row.id}`;
      const known = this.stored.get(key);
      if (known && known.versionId === row.version_id) {
        next.set(key, known);
      } else {
        changed.set(row.resource_type, [...(changed.get(row.resource_type) ?? []), row.id]);
      }
    }
    for (const [resourceType, ids] of changed) {
      const rows = await this.sql<{ id: string; version_id: string; last_updated: Date; content: string }[]>`
        SELECT id, version_id, last_updated, content FROM resource
        WHERE resource_type = ${resourceType} AND id = ANY(${ids}::text[]) AND NOT deleted`;
      for (const row of rows) {
        next.set(`${resourceType}/${row.id}`, {
          versionId: row.version_id,
          lastUpdated: row.last_updated.toISOString(),
          resource: JSON.parse(row.content) as TerminologyResource,
        });
      }
    }
    const unchanged = changed.size === 0 && next.size === this.stored.size && this.built;
    this.stored = next;
    if (!unchanged) this.rebuild();
  }

  private rebuild(): void {
    const store = new TerminologyStore();
    store.addAll(this.baseResources);
    // Added in write order, so of two resources with the same url and version the later write wins.
    const entries = [...this.stored.entries()].sort(([a, x], [b, y]) => x.lastUpdated.localeCompare(y.lastUpdated) || a.localeCompare(b));
    for (const [key, entry] of entries) {
      try {
        store.add(entry.resource);
      } catch (err) {
        // Written before the hub checked terminology writes (or by an older replica): skip it, keep the rest.
        this.logger.warn({ err, resource: key }, 'stored terminology resource is not usable and was skipped');
      }
    }
    this.snapshot = { store, translator: createTranslator(store) };
    this.built = true;
  }
}
