import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError } from '@simpul/infra';
import { RetryableDeliveryError, type DeliveryContext, type DriverLogger } from '../routing/destination-driver.ts';
import type { StudyInstance } from './build-imaging-study.ts';
import type { HttpAnswer } from './http-call.ts';
import { describeErrorBody } from './response-errors.ts';
import type { SatusehatClient } from './satusehat-client.ts';

/** What the official router looks for in an answer to know the instance was stored before (§7 step 6). */
export const INSTANCE_EXISTS = 'Instance already exists';
const CHECKPOINT_EVERY_MS = 1000;

export interface UploadDeps {
  client: SatusehatClient;
  storageDir: string;
  alreadyDelivered: ReadonlySet<string>;
  checkpoint: DeliveryContext<unknown>['checkpoint'];
  logger: DriverLogger;
  now?: () => number;
}

export interface UploadOutcome {
  /** Stored by this attempt. */
  uploaded: string[];
  /** SATUSEHAT had them already ("Instance already exists"). */
  alreadyThere: string[];
  /** Earlier attempts delivered them; not sent again. */
  skipped: string[];
}

/**
 * Uploads each instance not yet delivered, one request each (raw Part 10, `application/dicom`, with
 * `X-ImagingStudy-ID`), from `<storageDir>/dicom/<study>/<series>/<sop>.dcm`. Progress is checkpointed
 * about once a second and whenever the loop ends, also on failure, so the next attempt resumes. A
 * missing file does not stop the others; the attempt then fails as retryable, naming it.
 */
export async function uploadInstances(deps: UploadDeps, instances: readonly StudyInstance[], imagingStudyId: string): Promise<UploadOutcome> {
  const now = deps.now ?? Date.now;
  const outcome: UploadOutcome = { uploaded: [], alreadyThere: [], skipped: [] };
  const missing: string[] = [];
  let unsaved: string[] = [];
  let lastCheckpoint = now();
  const save = async (): Promise<void> => {
    if (unsaved.length === 0) return;
    const batch = unsaved;
    unsaved = [];
    await deps.checkpoint({ deliveredInstances: batch });
    lastCheckpoint = now();
  };

  try {
    for (const instance of instances) {
      if (deps.alreadyDelivered.has(instance.sopUid)) {
        outcome.skipped.push(instance.sopUid);
        continue;
      }
      const path = join(deps.storageDir, 'dicom', instance.studyUid, instance.seriesUid, `${instance.sopUid}.dcm`);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new RetryableDeliveryError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
        missing.push(path);
        continue;
      }
      const answer = await deps.client.uploadInstance(bytes, imagingStudyId, `the upload of instance ${instance.sopUid}`, (a) => a.text.includes(INSTANCE_EXISTS));
      if (answer.text.includes(INSTANCE_EXISTS)) outcome.alreadyThere.push(instance.sopUid);
      else {
        checkStored(answer, instance.sopUid);
        outcome.uploaded.push(instance.sopUid);
      }
      unsaved.push(instance.sopUid);
      if (now() - lastCheckpoint >= CHECKPOINT_EVERY_MS) await save();
    }
  } catch (error) {
    // Keep what was achieved for the next attempt, without hiding why this one failed.
    await save().catch((saveError: unknown) => deps.logger.warn({ error: String(saveError) }, 'could not checkpoint the instances uploaded before the failure'));
    throw error;
  }
  await save();
  if (missing.length > 0) {
    deps.logger.warn({ missing: missing.length, first: missing[0] }, 'DICOM files of the study are missing from storage');
    throw new RetryableDeliveryError(`${missing.length} instance file(s) of the study are not in storage, e.g. ${missing[0]}; the others were uploaded`);
  }
  return outcome;
}

/** A 2xx STOW answer can still list the instance under Failed SOP Sequence (0008,1198). */
function checkStored(answer: HttpAnswer, sopUid: string): void {
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return;
  }
  const failed = (body as Record<string, { Value?: unknown[] } | undefined> | null)?.['00081198']?.Value;
  if (Array.isArray(failed) && failed.length > 0) {
    throw new PermanentError(`SATUSEHAT did not store instance ${sopUid} (HTTP ${answer.status}, Failed SOP Sequence): ${describeErrorBody(answer.text)}`);
  }
}
