import { OperationOutcomeError } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Identifier, Patient, PatientLink } from '@medplum/fhirtypes';
import type { Queryable } from '../db/connect.ts';
import { IdentityError, identityError } from './identity-errors.ts';
import { activeMergeOf } from './identity-store.ts';
import { MERGED_IDENTIFIER_SYSTEM } from './patient-features.ts';

export const PATIENT_TRANSACTION = { resourceTypes: ['Patient' as const] };

/**
 * A merge, whoever asks for it (`$merge`, a review decision), writes the same shape as the HL7 A40
 * ingest mapping, so the hub treats all merges alike:
 * - source: `active: false`, `link replaced-by → target`, its identifiers replaced by markers in
 *   MERGED_IDENTIFIER_SYSTEM (`<system>#<value>`, use old), so an identifier search (and every
 *   conditional write on it) resolves to the survivor alone;
 * - target: the source's identifiers added with `use: old`, `link replaces → source`.
 * Both writes go through the caller's repository (its scopes apply) in one transaction, with
 * If-Match on the versions read. The write listener records the merge ledger and the audit.
 */
export async function mergePatients(repo: FhirRepository, sourceId: string, targetId: string): Promise<Patient> {
  if (sourceId === targetId) throw identityError(IdentityError.INVALID_INPUT, 'source-patient and target-patient are the same Patient', 'Parameters.parameter');
  return repo.withTransaction(async (tx) => {
    const source = await readPatient(tx, sourceId, 'source-patient');
    const target = await readPatient(tx, targetId, 'target-patient');
    const sourceSurvivor = replacedBy(source);
    if (sourceSurvivor) {
      throw identityError(IdentityError.CONFLICT, `Patient/${sourceId} is already merged into Patient/${sourceSurvivor}`, 'source-patient');
    }
    const targetSurvivor = replacedBy(target);
    if (targetSurvivor) {
      throw identityError(
        IdentityError.CONFLICT,
        `Patient/${targetId} is merged into Patient/${targetSurvivor}: merge into the survivor instead`,
        'target-patient',
      );
    }
    const moved = (source.identifier ?? []).filter((i) => i.system !== MERGED_IDENTIFIER_SYSTEM && i.value);
    const known = new Set((target.identifier ?? []).map(identifierKey));
    const mergedTarget: Patient = {
      ...target,
      identifier: [...(target.identifier ?? []), ...moved.filter((i) => !known.has(identifierKey(i))).map((i) => ({ ...i, use: 'old' as const }))],
      link: [...(target.link ?? []).filter((l) => otherId(l) !== sourceId), { type: 'replaces', other: { reference: `Patient/${sourceId}` } }],
    };
    const mergedSource: Patient = {
      ...source,
      active: false,
      identifier: [
        ...(source.identifier ?? []).filter((i) => i.system === MERGED_IDENTIFIER_SYSTEM),
        ...moved.map((i) => ({ use: 'old' as const, system: MERGED_IDENTIFIER_SYSTEM, value: `${i.system ?? ''}#${i.value}` })),
      ],
      link: [...(source.link ?? []).filter((l) => l.type !== 'refer' && otherId(l) !== targetId), { type: 'replaced-by', other: { reference: `Patient/${targetId}` } }],
    };
    await tx.updateResource(mergedSource, { ifMatch: source.meta?.versionId });
    return tx.updateResource(mergedTarget, { ifMatch: target.meta?.versionId });
  }, PATIENT_TRANSACTION);
}

/**
 * Undoes the active merge of `sourceId`: the source gets back its content from before the merge (as a
 * new version), and the survivor loses the identifiers the merge gave it and its `replaces` link; what
 * else the survivor learnt since (newer demographics) stays. The listener ends the ledger row and
 * records the pair as distinct, so the matcher does not link them again.
 */
export async function unmergePatient(repo: FhirRepository, db: Queryable, sourceId: string, expectedTargetId?: string): Promise<{ source: Patient; target: Patient }> {
  const merge = await activeMergeOf(db, sourceId);
  if (!merge) throw identityError(IdentityError.NOT_FOUND, `Patient/${sourceId} has no active merge to undo`, 'source-patient');
  if (expectedTargetId && expectedTargetId !== merge.target_id) {
    throw identityError(IdentityError.CONFLICT, `Patient/${sourceId} is merged into Patient/${merge.target_id}, not Patient/${expectedTargetId}`, 'target-patient');
  }
  if (!merge.source_before) {
    throw identityError(IdentityError.CONFLICT, `the merge of Patient/${sourceId} has no recorded content from before it (it was written as a new record): edit the Patients instead`, 'source-patient');
  }
  const before = merge.source_before as unknown as Patient;
  const targetBefore = (merge.target_before ?? {}) as unknown as Patient;
  return repo.withTransaction(async (tx) => {
    const source = await readPatient(tx, sourceId, 'source-patient');
    const target = await readPatient(tx, merge.target_id, 'target-patient');
    const keptByTarget = new Set((targetBefore.identifier ?? []).map(identifierKey));
    const givenBySource = new Set((before.identifier ?? []).map(identifierKey));
    const restoredTarget: Patient = {
      ...target,
      identifier: (target.identifier ?? []).filter((i) => keptByTarget.has(identifierKey(i)) || !givenBySource.has(identifierKey(i))),
      link: (target.link ?? []).filter((l) => !(l.type === 'replaces' && otherId(l) === sourceId)),
    };
    if (restoredTarget.link?.length === 0) delete restoredTarget.link;
    if (restoredTarget.identifier?.length === 0) delete restoredTarget.identifier;
    const restoredSource: Patient = { ...before, resourceType: 'Patient', id: sourceId };
    const updatedTarget = await tx.updateResource(restoredTarget, { ifMatch: target.meta?.versionId });
    const updatedSource = await tx.updateResource(restoredSource, { ifMatch: source.meta?.versionId });
    return { source: updatedSource, target: updatedTarget };
  }, PATIENT_TRANSACTION);
}

async function readPatient(repo: FhirRepository, id: string, parameter: string): Promise<Patient> {
  try {
    return await repo.readResource<Patient>('Patient', id);
  } catch (err) {
    if (err instanceof OperationOutcomeError && ['not-found', 'gone'].includes(err.outcome.id ?? '')) {
      throw identityError(IdentityError.NOT_FOUND, `${parameter}: Patient/${id} does not exist`, parameter);
    }
    throw err;
  }
}

function replacedBy(patient: Patient): string | undefined {
  const link = patient.link?.find((l) => l.type === 'replaced-by');
  return link ? otherId(link) : undefined;
}

function otherId(link: PatientLink): string {
  return (link.other?.reference ?? '').replace(/^.*Patient\//, '');
}

function identifierKey(identifier: Identifier): string {
  return `${identifier.system ?? ''}|${identifier.value ?? ''}`;
}
