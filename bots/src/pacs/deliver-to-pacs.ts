/**
 * The PACS destination driver: C-STOREs every instance of an ImagingStudy from the blob store to one
 * PACS, skipping what earlier attempts already delivered (`progress.deliveredInstances`), and records
 * each accepted instance (warnings included) through batched checkpoints, so an attempt that dies
 * half-way resumes with only what is missing. Runs inside a bot worker thread (one per bot): it keeps
 * no state between calls and holds at most one data set in memory at a time.
 *
 * Outcome: every instance accepted (0x0000, or a warning status, recorded) → a summary; any failure
 * worth retrying (0xA7xx, a rejected/aborted association, a timeout, a refused connection, a missing
 * file) → `RetryableDeliveryError` after everything else that could be sent was sent; only permanent
 * failures (0xA9xx, 0xCxxx, no accepted presentation context, a compressed instance where only
 * uncompressed syntaxes are accepted) → `PermanentError`. Both name the counts and the first failure.
 */
import type { ImagingStudy } from '@medplum/fhirtypes';
import { PermanentError, type PacsDestinationConfig } from '@simpul/infra';
import { RetryableDeliveryError, type DeliveryContext, type DeliveryResult, type DestinationDriver } from '../routing/destination-driver.ts';
import { ProgressCheckpoints } from './progress-checkpoints.ts';
import { storeInstances, type InstanceResult } from './store-scu.ts';
import { studyInstanceFiles, StudyInstancesError } from './study-instances.ts';

export const deliverToPacs: DestinationDriver<PacsDestinationConfig> = async (context) => {
  const { resource, destination } = context;
  if (resource.resourceType !== 'ImagingStudy') {
    return { notApplicable: true, summary: `a PACS takes imaging studies, not ${resource.resourceType}` };
  }
  if (context.interaction === 'delete') {
    return { notApplicable: true, summary: `ImagingStudy deleted in the hub; ${destination.aeTitle} keeps what it stored (C-STORE cannot delete)` };
  }
  return deliverStudy(context, resource);
};

async function deliverStudy(context: DeliveryContext<PacsDestinationConfig>, study: ImagingStudy): Promise<DeliveryResult> {
  const { destination, progress, logger } = context;
  let files;
  try {
    files = studyInstanceFiles(study, context.storageDir);
  } catch (error) {
    if (error instanceof StudyInstancesError) throw new PermanentError(error.message);
    throw error;
  }
  const pending = files.filter((file) => !progress.deliveredInstances.has(file.sopInstanceUid));
  const already = files.length - pending.length;
  const at = destination.aeTitle;
  if (files.length === 0) return { summary: `ImagingStudy/${study.id ?? '?'} lists no instances; nothing sent to ${at}`, deliveredInstances: [] };
  if (pending.length === 0) return { summary: `all ${files.length} instances already stored at ${at}`, deliveredInstances: [] };

  const checkpoints = new ProgressCheckpoints((update) => context.checkpoint(update));
  const log = { destination: context.destinationName, aeTitle: at, host: destination.host, port: destination.port, study: study.id, traceId: context.traceId };
  logger.info({ ...log, instances: pending.length, alreadyDelivered: already }, 'sending study to PACS');
  const results = await storeInstances(
    {
      host: destination.host,
      port: destination.port,
      calledAeTitle: destination.aeTitle,
      callingAeTitle: destination.callingAeTitle,
      timeoutMs: destination.timeoutMs,
      instancesPerAssociation: destination.instancesPerAssociation,
    },
    pending,
    {
      signal: context.signal,
      onResult: (result) => {
        if (result.outcome === 'stored') checkpoints.accepted(result.sopInstanceUid);
        else if (result.outcome === 'warning') checkpoints.accepted(result.sopInstanceUid, `${result.sopInstanceUid} ${result.text}`);
        else logger.warn({ ...log, sopInstanceUid: result.sopInstanceUid, status: result.status, retryable: result.retryable, reason: result.text }, 'instance not stored');
      },
      onAssociation: (info) => logger.debug({ ...log, ...info }, 'opening association'),
    },
  );
  await checkpoints.finish();

  const accepted = results.filter((result) => result.outcome !== 'failed');
  const warnings = results.filter((result) => result.outcome === 'warning');
  const failed = results.filter((result) => result.outcome === 'failed');
  const stored = `${accepted.length} instance${accepted.length === 1 ? '' : 's'} stored at ${at}${warnings.length > 0 ? ` (${warnings.length} with warnings)` : ''}`;
  const earlier = already > 0 ? `, ${already} already there` : '';
  if (failed.length === 0) {
    logger.info({ ...log, stored: accepted.length, warnings: warnings.length }, 'study stored at PACS');
    return {
      summary: `${stored}${earlier}`,
      deliveredInstances: accepted.map((result) => result.sopInstanceUid),
      warnings: warnings.map((result) => `${result.sopInstanceUid} ${result.text}`),
    };
  }
  const retryable = failed.filter((result) => result.retryable);
  const first = retryable[0] ?? failed[0];
  const message =
    `${failed.length} of ${pending.length} instances not stored at ${at} ` +
    `(${retryable.length} to retry, ${failed.length - retryable.length} permanent; ${stored}${earlier}); ` +
    `first failure: ${first.sopInstanceUid}: ${first.text}${firstPermanent(failed, first)}`;
  if (retryable.length > 0) throw new RetryableDeliveryError(message);
  throw new PermanentError(message);
}

/** When the first failure shown is retryable, the first permanent one is named too (it needs a person). */
function firstPermanent(failed: readonly InstanceResult[], shown: InstanceResult): string {
  const permanent = failed.find((result) => !result.retryable);
  return permanent && permanent !== shown ? `; first permanent failure: ${permanent.sopInstanceUid}: ${permanent.text}` : '';
}
