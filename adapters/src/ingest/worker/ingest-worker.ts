/**
 * The ingest worker (`simpul ingest`).
 *
 * Consumes: the `ingest` queue (every edge publishes there: `hl7.<source>`, `dicom.<ae>`, `sql.<source>`).
 * Writes: FHIR to the hub (one transaction per message) and each message's progress to the message store.
 * Why a replay is harmless: the mapped transaction is made of conditional writes on business
 * identifiers, and a message already stored is skipped by its envelope id unless it is a replay.
 * Order: messages of one patient are applied one at a time in arrival order (KeyedSerializer).
 */
import { PermanentError, declareTopology, type Bus, type Delivery, type Envelope, type Subscription } from '@simpul/infra';
import type { Logger } from 'pino';
import type { CodeTranslator, Hl7SourceMapping, UnmappedCode } from '../hl7/index.ts';
import type { DicomIngestSettings } from './dicom-ingest-settings.ts';
import type { HubClient } from './hub-client.ts';
import { withInOrderRetries } from './in-order-retry.ts';
import { createDicomIngest, type DicomIngestResult } from './ingest-dicom.ts';
import { applyHl7, prepareHl7, type IngestResult } from './ingest-hl7.ts';
import { applyTemplateMessage, isTemplateKind, templateOrderingKey, type TemplateIngestResult, type TemplateSources } from './ingest-template.ts';
import { KeyedSerializer } from './keyed-serializer.ts';

export interface IngestWorkerOptions {
  bus: Bus;
  hub: HubClient;
  logger: Logger;
  hl7Sources: Record<string, Hl7SourceMapping>;
  translator: CodeTranslator;
  prefetch: number;
  maxAttempts: number;
  duplicateWindowMs: number;
  /** Retry delays of the ingest queue (default: the bus's 1 s, 10 s, 60 s, 5 min). */
  retryDelaysMs?: number[];
  /** How DICOM instances are mapped (`dicom.mapping`); without it `dicom` messages are refused. */
  dicom?: DicomIngestSettings;
  /** Mapping templates of the SQL and webhook sources; without one a `sql`/`webhook` message is recorded as an error. */
  templates?: TemplateSources;
}

export interface IngestWorker {
  /** Handles one envelope as the consumer would (tests call it directly). */
  handle(envelope: Envelope, delivery?: Pick<Delivery, 'attempt' | 'maxAttempts'>): Promise<IngestResult | DicomIngestResult | TemplateIngestResult>;
  close(): Promise<void>;
}

export async function startIngestWorker(options: IngestWorkerOptions): Promise<IngestWorker> {
  const worker = createIngestHandler(options);
  await declareTopology(options.bus, {
    bots: [],
    ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs, ingestRetryDelaysMs: options.retryDelaysMs } : {}),
  });
  const subscription: Subscription = await options.bus.consume('ingest', (envelope, delivery) => worker.handle(envelope, delivery).then(() => undefined), {
    prefetch: options.prefetch,
    maxAttempts: options.maxAttempts,
  });
  options.logger.info({ prefetch: options.prefetch }, 'ingest worker consuming');
  return {
    handle: worker.handle,
    async close() {
      await subscription.close();
    },
  };
}

async function reportUnmapped(hub: HubClient, messageId: string, codes: readonly UnmappedCode[]): Promise<void> {
  const now = new Date().toISOString();
  await hub.reportUnmapped(
    codes.map((c) => ({
      system: c.system,
      code: c.code,
      ...(c.display ? { display: c.display } : {}),
      targetSystem: c.targetSystem,
      count: 1,
      firstSeen: now,
      lastSeen: now,
      exampleMessageId: messageId,
    })),
  );
}

export function createIngestHandler(options: Omit<IngestWorkerOptions, 'bus' | 'prefetch'>): Pick<IngestWorker, 'handle'> {
  const serializer = new KeyedSerializer();
  const deps = {
    hub: options.hub,
    translator: options.translator,
    duplicateWindowMs: options.duplicateWindowMs,
    sourceMapping: (source: string) => options.hl7Sources[source] ?? options.hl7Sources.default,
  };
  const dicom = options.dicom ? createDicomIngest({ hub: options.hub, settings: options.dicom }) : undefined;
  return {
    handle(envelope, delivery) {
      const log = options.logger.child({ traceId: envelope.traceId, messageId: envelope.id, source: envelope.source });
      if (envelope.kind === 'dicom' && dicom) {
        // Instances of one study are batched and written in order of arrival by the DICOM ingest itself.
        return dicom.apply(envelope).then(
          (result) => {
            log.info({ status: result.status, kind: 'dicom' }, 'message ingested');
            return result;
          },
          (err: unknown) => giveUpOrRetry(err, envelope, delivery, log),
        );
      }
      if (isTemplateKind(envelope.kind)) {
        const templateDeps = { hub: options.hub, translator: options.translator, templates: options.templates ?? {} };
        return serializer.run(templateOrderingKey(envelope), () =>
          withInOrderRetries(() => applyTemplateMessage(envelope, templateDeps)).then(
            async (result) => {
              log.info({ status: result.status, kind: envelope.kind }, 'message ingested');
              if (result.status === 'stored' && result.unmappedCodes.length > 0) {
                await reportUnmapped(options.hub, envelope.id, result.unmappedCodes).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'unmapped codes could not be reported to the hub'));
              }
              return result;
            },
            (err: unknown) => giveUpOrRetry(err, envelope, delivery, log),
          ),
        );
      }
      if (envelope.kind !== 'hl7') {
        return Promise.reject(new PermanentError(`the ingest worker cannot handle "${envelope.kind}" messages (message ${envelope.id})`));
      }
      // Mapping is synchronous: the ordering key is fixed before anything else can interleave.
      const prepared = prepareHl7(envelope as Envelope<string>, deps);
      return serializer.run(prepared.orderingKey, async () => {
        try {
          const result = await withInOrderRetries(() => applyHl7(prepared, deps));
          log.info({ status: result.status, messageType: prepared.mapping?.messageType }, 'message ingested');
          if (result.status === 'stored' && result.mapping.unmappedCodes.length > 0) {
            await reportUnmapped(options.hub, envelope.id, result.mapping.unmappedCodes).catch((err: unknown) =>
              log.warn({ err: (err as Error).message }, 'unmapped codes could not be reported to the hub; the message itself is stored'),
            );
          }
          return result;
        } catch (err) {
          return giveUpOrRetry(err, envelope, delivery, log);
        }
      });
    },
  };

  /** A failure worth retrying: logged and rethrown (the bus retries it); on the last attempt the message store says why it gave up. */
  async function giveUpOrRetry(err: unknown, envelope: Envelope, delivery: Pick<Delivery, 'attempt' | 'maxAttempts'> | undefined, log: Logger): Promise<never> {
    const attempt = delivery?.attempt ?? 1;
    const maxAttempts = delivery?.maxAttempts ?? options.maxAttempts;
    log.warn({ err: (err as Error).message, attempt, maxAttempts }, 'ingest failed; will retry');
    if (attempt >= maxAttempts) {
      await options.hub
        .recordOutcome(envelope.id, { status: 'error', error: `gave up after ${attempt} attempts: ${(err as Error).message}` })
        .catch((recordErr: unknown) => log.error({ err: recordErr }, 'could not record the final failure in the message store'));
    }
    throw err;
  }
}
