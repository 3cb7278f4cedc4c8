import type { Patient, PatientLink, Resource, Task } from '@medplum/fhirtypes';
import type { IdentityConfig } from '@simpul/infra';
import type { WriteListener } from '../repo/write-events.ts';
import { currentIdentityOrigin, identityWriteContext } from './identity-context.ts';
import { IdentityError, identityError } from './identity-errors.ts';
import { endMerge, enqueueJob, forgetPatient, recordMergeSide, saveFeatures, setGolden, setPair } from './identity-store.ts';
import { patientFeatures } from './patient-features.ts';
import { isIdentityReviewTask, readDecision, taskPair } from './review-task.ts';

/**
 * Runs inside every write transaction. The identity tables are derived from what was written, so
 * every path (`$merge`, a review decision, an HL7 A40 transaction, a client editing Patient.link)
 * keeps them right, and they commit or roll back with the write:
 *
 * - Patient create/update: a `match` job; after commit the worker saves the features, blocking keys
 *   and golden link from the stored Patient and, when the compared data changed, scores candidates.
 * - `link replaced-by` appearing on a Patient: a merge (ledger row with the content before it);
 *   `replaces` appearing: the survivor's side of the same row; `replaced-by` disappearing: unmerge.
 * - `link refer` appearing/disappearing: the record's golden Patient.
 * - An identity-review Task turning `completed`: its decision is checked now (400 if missing) and
 *   applied by the worker.
 * Merges, unmerges, links and decisions each queue an `audit` job that becomes an AuditEvent.
 */
export function createIdentityListener(config: IdentityConfig): WriteListener {
  return async (event) => {
    const { resource, db } = event;
    if (resource.resourceType === 'Task') {
      if (event.interaction !== 'delete') await onTask(resource, event.previous as Task | undefined, db);
      return;
    }
    if (resource.resourceType !== 'Patient') return;
    const id = resource.id;
    if (event.interaction === 'delete') {
      await forgetPatient(db, id);
      return;
    }
    const patient = resource;
    const previous = event.previous as Patient | undefined;
    const origin = currentIdentityOrigin();
    const context = identityWriteContext.getStore();
    const before = linksOf(previous);
    const after = linksOf(patient);

    const replacedBy = after.find((l) => l.type === 'replaced-by')?.other;
    const wasReplacedBy = before.find((l) => l.type === 'replaced-by')?.other;
    if (replacedBy && replacedBy !== wasReplacedBy) {
      await recordMergeSide(db, 'source', id, replacedBy, stripMeta(previous), origin);
      await enqueueJob(db, 'audit', id, { action: 'merge', source: id, target: replacedBy, origin, taskId: context?.taskId, actor: context?.actor });
    } else if (!replacedBy && wasReplacedBy) {
      const ended = await endMerge(db, id);
      if (ended) {
        await setPair(db, ended.source_id, ended.target_id, 'distinct', null, null);
        await enqueueJob(db, 'audit', id, { action: 'unmerge', source: id, target: ended.target_id, origin, actor: context?.actor });
      }
    }
    for (const replaces of after.filter((l) => l.type === 'replaces' && !before.some((b) => b.type === 'replaces' && b.other === l.other))) {
      await recordMergeSide(db, 'target', replaces.other, id, stripMeta(previous), origin);
    }

    const refer = after.find((l) => l.type === 'refer')?.other;
    const referBefore = before.find((l) => l.type === 'refer')?.other;
    if (replacedBy) {
      await forgetPatient(db, id);
      return;
    }
    if (origin === 'rebuild') {
      const changed = await saveFeatures(db, id, patientFeatures(patient, config));
      if (refer !== referBefore || (changed && refer)) await setGolden(db, id, refer ?? null);
      return;
    }
    if (refer && refer !== referBefore) {
      await enqueueJob(db, 'audit', id, { action: 'link', source: id, target: refer, origin, taskId: context?.taskId, actor: context?.actor });
    }
    // Features, blocking keys and the golden link are saved by the worker after commit: written here,
    // inside the (often serializable) write, they made concurrent Patient writes abort each other.
    await enqueueJob(db, 'match', id);
  };
}

async function onTask(task: Task, previous: Task | undefined, db: Parameters<WriteListener>[0]['db']): Promise<void> {
  if (!isIdentityReviewTask(task) || task.status !== 'completed' || previous?.status === 'completed') return;
  const decision = readDecision(task);
  if ('problem' in decision) throw identityError(IdentityError.INVALID_DECISION, decision.problem, 'Task.output');
  if (!taskPair(task)) {
    throw identityError(IdentityError.INVALID_DECISION, 'an identity-review Task needs inputs "patient" and "candidate" (Patient references)', 'Task.input');
  }
  await enqueueJob(db, 'decision', task.id as string, { decision: decision.decision, survivor: decision.survivor ?? null });
}

function linksOf(patient: Patient | undefined): { type: PatientLink['type']; other: string }[] {
  return (patient?.link ?? [])
    .map((l) => ({ type: l.type, other: (l.other?.reference ?? '').replace(/^.*Patient\//, '') }))
    .filter((l) => l.other.length > 0);
}

function stripMeta(resource: Resource | undefined): Resource | undefined {
  if (!resource) return undefined;
  const { meta: _meta, ...rest } = resource;
  return rest as Resource;
}
