import type { FhirRepository, FhirRouter } from '@medplum/fhir-router';
import type { IdentityConfig } from '@simpul/infra';
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import type { WriteListener } from '../repo/write-events.ts';
import type { SearchQuery } from '../search/index.ts';
import { createIdentityListener } from './identity-listener.ts';
import { IdentityMatcher } from './identity-matcher.ts';
import { registerIdentityOperations } from './identity-operations.ts';
import { IdentityWorker } from './identity-worker.ts';
import { rebuildIdentity, type RebuildProgress, type RebuildResult } from './rebuild.ts';
import { expandMergedReferences } from './search-expansion.ts';

/**
 * Patient identity in the hub: the write listener (made before the repository exists), then
 * `attach(repo, router)` wires the matcher, the worker and the operations. One per hub.
 */
export class IdentityService {
  readonly config: IdentityConfig;
  private readonly sql: Sql;
  private readonly logger: Logger;
  private readonly baseUrl: string;
  private matcherInstance?: IdentityMatcher;
  private worker?: IdentityWorker;

  constructor(sql: Sql, config: IdentityConfig, logger: Logger, baseUrl: string) {
    this.sql = sql;
    this.config = config;
    this.logger = logger;
    this.baseUrl = baseUrl;
  }

  writeListener(): WriteListener {
    return createIdentityListener(this.config);
  }

  attach(repo: FhirRepository, router: FhirRouter): void {
    this.matcherInstance = new IdentityMatcher(this.sql, repo, this.config, this.logger);
    this.worker = new IdentityWorker(this.sql, repo, this.matcherInstance, this.logger);
    registerIdentityOperations(router, this.matcherInstance, this.sql, this.baseUrl);
  }

  start(): void {
    this.requireWorker().start(this.config.pollIntervalMs);
  }

  stop(): Promise<void> {
    return this.worker?.stop() ?? Promise.resolve();
  }

  /** Runs every queued identity job now (tests, the CLI); the poller does the same on its own. */
  drain(): Promise<number> {
    return this.requireWorker().drain();
  }

  expandSearch(query: SearchQuery): Promise<SearchQuery> {
    return expandMergedReferences(this.sql, query);
  }

  get matcher(): IdentityMatcher {
    if (!this.matcherInstance) throw new Error('IdentityService.attach() was not called');
    return this.matcherInstance;
  }

  async rebuild(onProgress?: (progress: RebuildProgress) => void): Promise<RebuildResult> {
    const result = await rebuildIdentity(this.sql, this.matcher, this.config, this.logger, onProgress);
    await this.drain();
    return result;
  }

  private requireWorker(): IdentityWorker {
    if (!this.worker) throw new Error('IdentityService.attach() was not called');
    return this.worker;
  }
}
