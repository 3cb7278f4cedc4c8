import type { ConceptMap, Resource } from '@medplum/fhirtypes';
import { TerminologyStore, createTranslator, loadStarterContent, type Translator } from '@simpul/terminology';
import type { Logger } from 'pino';
import type { CodeTranslator, TranslationResult } from '../hl7/index.ts';
import type { HubClient } from './hub-client.ts';

const TERMINOLOGY_TYPES = ['CodeSystem', 'ValueSet', 'ConceptMap'] as const;

/**
 * The mappers' translator (synchronous, as mapping is pure) over the terminology the hub holds:
 * the starter content plus every CodeSystem, ValueSet and ConceptMap stored in the hub, fetched
 * at start and again every `refreshIntervalMs` (or on `refresh()`), so a ConceptMap fixed in the
 * hub is used by the next replay of the affected messages.
 */
export class HubTerminologyTranslator implements CodeTranslator {
  private translator: Translator;
  private readonly hub: HubClient;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;

  private constructor(hub: HubClient, logger: Logger, translator: Translator) {
    this.hub = hub;
    this.logger = logger;
    this.translator = translator;
  }

  static async start(hub: HubClient, logger: Logger, refreshIntervalMs = 30_000): Promise<HubTerminologyTranslator> {
    const translator = new HubTerminologyTranslator(hub, logger, createTranslator(await starterStore()));
    await translator.refresh();
    if (refreshIntervalMs > 0) {
      translator.timer = setInterval(() => {
        translator.refresh().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'terminology refresh failed; keeping the last one'));
      }, refreshIntervalMs);
      translator.timer.unref();
    }
    return translator;
  }

  translate(system: string, code: string, targetSystem: string): TranslationResult {
    const outcome = this.translator.translate(system, code, targetSystem);
    return { coding: outcome.coding, mapped: outcome.mapped };
  }

  async refresh(): Promise<void> {
    const store = await starterStore();
    let count = 0;
    for (const type of TERMINOLOGY_TYPES) {
      for (const resource of await this.hub.searchAll<Resource>(type)) {
        try {
          store.add(resource as ConceptMap);
          count++;
        } catch (err) {
          this.logger.warn({ err: (err as Error).message, resource: `${type}/${resource.id}` }, 'terminology resource skipped');
        }
      }
    }
    this.translator = createTranslator(store);
    this.logger.debug({ resources: count }, 'terminology refreshed from the hub');
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function starterStore(): Promise<TerminologyStore> {
  const store = new TerminologyStore();
  await loadStarterContent(store);
  return store;
}
