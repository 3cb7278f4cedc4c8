/**
 * One delivery attempt of one resource to one destination: the part every destination shares.
 *
 * 1. Read the latest version: a delivery about an older version is skipped (every write makes a
 *    delivery of its own, so the newest one does the work), as is one about a deleted resource.
 * 2. Evaluate the rules: a resource no rule sends to this destination is skipped, with no Task.
 * 3. Open the destination's Task; wait until the study is stable when a rule asks (the Task says
 *    `waiting-stable` meanwhile); a newer version arriving in the wait hands the work to its delivery.
 * 4. Run the destination's driver with what earlier attempts achieved, then record the outcome:
 *    `delivered`, `retrying` (the error, the attempt) or `failed` (permanent, or the last attempt).
 */
import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { MedplumClient } from '@medplum/core';
import type { Patient, Practitioner, Reference } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import type { DestinationConfig, RoutingRule } from '@simpul/infra';
import type { SimpulBotEvent } from '../runtime/bot-event.ts';
import type { DeliveryContext, DeliveryResult, DestinationDriver, DriverLogger, RoutedResource } from './destination-driver.ts';
import { RetryableDeliveryError } from './destination-driver.ts';
import { DELIVERED_VERSION_EXTENSION_URL, DeliveryTask } from './delivery-task.ts';
import { gatherRoutingFacts } from './routing-facts.ts';
import { matchRoutes } from './route-rules.ts';

/** What the route bot of one destination knows: passed to its thread as the `SIMPUL_ROUTE` secret (JSON). */
export interface RouteSettings {
  readonly destinationName: string;
  readonly destination: DestinationConfig;
  /** The rules that send to this destination. */
  readonly rules: readonly RoutingRule[];
  /** `storage.dir`, where DICOM instances are. */
  readonly storageDir: string;
}

export type RouteOutcome =
  | { readonly outcome: 'delivered'; readonly summary: string; readonly task: string }
  | { readonly outcome: 'skipped'; readonly reason: string; readonly task?: string };

const ROUTED_TYPES = new Set(['ImagingStudy', 'ServiceRequest']);

/** What each kind of destination takes: a PACS only studies, a RIS only orders, SATUSEHAT and a write-back both; deletes only a RIS (as a cancel). */
export function destinationAccepts(type: DestinationConfig['type'], resourceType: string, interaction: string): boolean {
  if (type === 'pacs') return resourceType === 'ImagingStudy' && interaction !== 'delete';
  if (type === 'ris') return resourceType === 'ServiceRequest';
  if (type === 'sql') return ROUTED_TYPES.has(resourceType) && interaction !== 'delete';
  return ROUTED_TYPES.has(resourceType) && interaction !== 'delete';
}

export interface RouteDeliveryOptions {
  readonly logger: DriverLogger;
  /** Injected for tests; default: a timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

export async function deliverRoute(
  medplum: MedplumClient,
  event: SimpulBotEvent<RoutedResource>,
  route: RouteSettings,
  driver: DestinationDriver<DestinationConfig>,
  options: RouteDeliveryOptions,
): Promise<RouteOutcome> {
  const input = event.input;
  if (!input || !ROUTED_TYPES.has(input.resourceType) || !input.id) {
    throw new PermanentError(`route "${route.destinationName}" takes ImagingStudy and ServiceRequest deliveries; this one carries ${describe(input)}`);
  }
  const interaction = event.interaction ?? 'update';
  if (!destinationAccepts(route.destination.type, input.resourceType, interaction)) {
    return { outcome: 'skipped', reason: `a ${route.destination.type} destination does not take ${input.resourceType} ${interaction}s` };
  }
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;

  let resource: RoutedResource = input;
  if (interaction !== 'delete') {
    const latest = await readLatest(medplum, input);
    if (!latest) return { outcome: 'skipped', reason: `${input.resourceType}/${input.id} was deleted since this delivery was made` };
    if (event.versionId && latest.meta?.versionId !== event.versionId) {
      return { outcome: 'skipped', reason: `version ${event.versionId} was superseded by ${latest.meta?.versionId}, whose delivery does the work` };
    }
    resource = latest;
  }

  const facts = await gatherRoutingFacts(resource, (reference) => readQuietly(medplum, reference));
  const match = matchRoutes(route.rules, facts).find((candidate) => candidate.destination === route.destinationName);
  if (!match) return { outcome: 'skipped', reason: `no rule sends ${resource.resourceType}/${resource.id} to ${route.destinationName}` };

  const task = new DeliveryTask(medplum, { destinationName: route.destinationName, destinationType: route.destination.type, resource });
  const opened = await task.open();
  const taskReference = `Task/${opened.id}`;
  const versionId = resource.meta?.versionId;
  const deliveredVersion = opened.extension?.find((extension) => extension.url === DELIVERED_VERSION_EXTENSION_URL)?.valueString;
  if (opened.status === 'completed' && versionId !== undefined && deliveredVersion === versionId && interaction !== 'delete') {
    return { outcome: 'skipped', reason: `version ${versionId} is already delivered`, task: taskReference };
  }

  const attemptBudget = new AbortController();
  const budgetTimer = setTimeout(
    () => attemptBudget.abort(new RetryableDeliveryError(`the attempt ran past attemptTimeoutMs (${route.destination.attemptTimeoutMs} ms)`)),
    route.destination.attemptTimeoutMs + match.stableSeconds * 1000,
  );
  try {
    if (match.stableSeconds > 0 && resource.resourceType === 'ImagingStudy' && interaction !== 'delete') {
      const stableAt = Date.parse(resource.meta?.lastUpdated ?? '') + match.stableSeconds * 1000;
      const wait = stableAt - now();
      if (wait > 0) {
        await task.setState('waiting-stable', `waiting until no new instance arrives for ${match.stableSeconds} s (rules: ${match.rules.join(', ')})`);
        await sleep(wait, attemptBudget.signal);
        const after = await readLatest(medplum, resource);
        if (!after) return { outcome: 'skipped', reason: `${resource.resourceType}/${resource.id} was deleted while waiting to be stable`, task: taskReference };
        if (after.meta?.versionId !== versionId) {
          return { outcome: 'skipped', reason: `a newer version (${after.meta?.versionId}) arrived while waiting to be stable; its delivery does the work`, task: taskReference };
        }
      }
    }

    const attempt = task.attempts() + 1;
    await task.setState('sending', `attempt ${attempt}: sending to ${route.destinationName}`, { attempt });
    const context: DeliveryContext<DestinationConfig> = {
      destinationName: route.destinationName,
      destination: route.destination,
      medplum,
      resource,
      interaction,
      idempotencyKey: event.idempotencyKey,
      attempt: event.attempt,
      traceId: event.traceId ?? event.idempotencyKey,
      storageDir: route.storageDir,
      progress: task.progress(),
      checkpoint: async (update) => {
        await task.recordProgress(update);
      },
      logger: options.logger,
      signal: attemptBudget.signal,
    };
    let result: DeliveryResult;
    try {
      result = await driver(context);
    } catch (error) {
      const text = errorText(error);
      const permanent = error instanceof PermanentError || (error instanceof Error && error.name === 'PermanentError');
      const last = permanent || event.attempt >= route.destination.maxAttempts;
      await task.setState(last ? 'failed' : 'retrying', last ? `failed: ${text}` : `retrying after attempt ${event.attempt} of ${route.destination.maxAttempts}: ${text}`, {
        error: text,
      });
      throw error;
    }
    await task.setState('delivered', result.summary, { versionId, update: result });
    return { outcome: 'delivered', summary: result.summary, task: taskReference };
  } finally {
    clearTimeout(budgetTimer);
  }
}

async function readLatest(medplum: MedplumClient, resource: RoutedResource): Promise<RoutedResource | undefined> {
  try {
    return await medplum.readResource(resource.resourceType, resource.id as string);
  } catch (error) {
    const status = error instanceof OperationOutcomeError && isOperationOutcome(error.outcome) ? getStatus(error.outcome) : undefined;
    if (status === 404 || status === 410) return undefined;
    throw error;
  }
}

async function readQuietly<T extends Patient | Practitioner>(medplum: MedplumClient, reference: Reference<T>): Promise<T | undefined> {
  try {
    return await medplum.readReference(reference);
  } catch {
    return undefined;
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errorText(error: unknown): string {
  if (error instanceof OperationOutcomeError) return `the hub answered: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function describe(input: unknown): string {
  if (input && typeof input === 'object' && 'resourceType' in input) {
    const { resourceType, id } = input as { resourceType: unknown; id?: unknown };
    return `${String(resourceType)}${id ? `/${String(id)}` : ' without an id'}`;
  }
  return 'no resource';
}
