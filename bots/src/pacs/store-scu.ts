import { AssociationBatcher } from './association-batches.ts';
import { reencodeDataset } from './dimse-library.ts';
import { readInstanceDataset, readInstanceHeader, type InstanceFile } from './instance-files.ts';
import type { Part10Meta } from './part10-file.ts';
import { planSend, proposeContexts } from './presentation-contexts.ts';
import { AssociationError, StoreAssociation, type AssociationTarget } from './store-association.ts';
import { interpretStoreStatus, type StoreOutcome } from './store-status.ts';
import { describeTransferSyntax } from './transfer-syntaxes.ts';

/**
 * Sends instance files to a C-STORE SCP over as few associations as `instancesPerAssociation` allows,
 * one instance at a time, and reports a result for every instance. An instance-level failure (a status,
 * a refused syntax, an unreadable file) moves on to the next instance; a failure of the association
 * itself (refused connection, rejection, abort, timeout, the signal) ends the run, and every instance
 * not yet answered gets that failure.
 */

export interface StoreTargetOptions extends AssociationTarget {
  readonly instancesPerAssociation: number;
}

export interface InstanceResult {
  readonly sopInstanceUid: string;
  readonly outcome: StoreOutcome;
  /** The C-STORE response status, when there was one. */
  readonly status?: number;
  readonly text: string;
  /** For failures: whether a later attempt can succeed. */
  readonly retryable: boolean;
}

export interface StoreRunOptions {
  readonly signal?: AbortSignal;
  /** Called as each instance gets its result, in order. */
  readonly onResult?: (result: InstanceResult) => void;
  /** Called once per association opened (tests, logs). */
  readonly onAssociation?: (info: { instances: number; contexts: number }) => void;
}

interface ReadyInstance extends InstanceFile {
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly meta: Part10Meta;
}

export async function storeInstances(target: StoreTargetOptions, files: readonly InstanceFile[], options: StoreRunOptions = {}): Promise<InstanceResult[]> {
  const results: InstanceResult[] = [];
  const report = (result: InstanceResult): void => {
    results.push(result);
    options.onResult?.(result);
  };
  const batcher = new AssociationBatcher<ReadyInstance>(target.instancesPerAssociation);
  let stopped: AssociationError | undefined;
  const runBatch = async (batch: ReadyInstance[]): Promise<void> => {
    if (batch.length === 0) return;
    if (stopped) {
      for (const instance of batch) report(notSent(instance, stopped));
      return;
    }
    stopped = await sendBatch(target, batch, report, options);
  };
  for (const file of files) {
    if (stopped) {
      report(notSent(file, stopped));
      continue;
    }
    const header = await readInstanceHeader(file);
    if (!header.ok) {
      report({ sopInstanceUid: file.sopInstanceUid, outcome: 'failed', text: header.text, retryable: header.retryable });
      continue;
    }
    const instance: ReadyInstance = { ...file, sopClassUid: header.meta.sopClassUid, transferSyntaxUid: header.meta.transferSyntaxUid, meta: header.meta };
    const full = batcher.add(instance);
    if (full) await runBatch(full);
  }
  await runBatch(batcher.finish());
  return results;
}

/** Sends one association's instances; returns the association failure that should stop the run, if any. */
async function sendBatch(
  target: StoreTargetOptions,
  batch: readonly ReadyInstance[],
  report: (result: InstanceResult) => void,
  options: StoreRunOptions,
): Promise<AssociationError | undefined> {
  const contexts = proposeContexts(batch);
  options.onAssociation?.({ instances: batch.length, contexts: contexts.length });
  let association: StoreAssociation;
  try {
    association = await StoreAssociation.open(target, contexts, options.signal);
  } catch (error) {
    if (!(error instanceof AssociationError)) throw error;
    for (const instance of batch) report(notSent(instance, error));
    return error;
  }
  let index = 0;
  try {
    for (; index < batch.length; index++) {
      const instance = batch[index];
      const plan = planSend(instance, association.accepted);
      if (plan.kind === 'refused') {
        report({ sopInstanceUid: instance.sopInstanceUid, outcome: 'failed', text: plan.reason, retryable: false });
        continue;
      }
      const dataset = await readInstanceDataset(instance, instance.meta);
      if (!dataset.ok) {
        report({ sopInstanceUid: instance.sopInstanceUid, outcome: 'failed', text: dataset.text, retryable: dataset.retryable });
        continue;
      }
      let bytes = dataset.bytes;
      if (plan.kind === 're-encode') {
        try {
          bytes = reencodeDataset(bytes, instance.transferSyntaxUid, plan.transferSyntaxUid);
        } catch (error) {
          const text = `cannot re-encode ${instance.path} from ${describeTransferSyntax(instance.transferSyntaxUid)} to ${describeTransferSyntax(plan.transferSyntaxUid)}: ${(error as Error).message}`;
          report({ sopInstanceUid: instance.sopInstanceUid, outcome: 'failed', text, retryable: false });
          continue;
        }
      }
      const response = await association.store({
        sopClassUid: instance.sopClassUid,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntaxUid: plan.transferSyntaxUid,
        bytes,
      });
      const meaning = interpretStoreStatus(response.status, response.errorComment);
      report({ sopInstanceUid: instance.sopInstanceUid, outcome: meaning.outcome, status: response.status, text: meaning.text, retryable: meaning.retryable });
    }
  } catch (error) {
    association.abort();
    if (!(error instanceof AssociationError)) throw error;
    for (const instance of batch.slice(index)) report(notSent(instance, error));
    return error;
  }
  try {
    await association.release();
  } catch {
    // Every instance of this association has its response; a release that fails loses nothing.
  }
  return undefined;
}

function notSent(file: InstanceFile, error: AssociationError): InstanceResult {
  return { sopInstanceUid: file.sopInstanceUid, outcome: 'failed', text: error.message, retryable: true };
}
