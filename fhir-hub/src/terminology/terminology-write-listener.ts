import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { checkTerminologyResource, ERROR_CODE_SYSTEM, TerminologyError } from '@simpul/terminology';
import type { WriteListener } from '../repo/write-events.ts';
import { TERMINOLOGY_CHANGED_CHANNEL, TERMINOLOGY_RESOURCE_TYPES, type HubTerminology } from './hub-terminology.ts';

const WATCHED_TYPES: readonly string[] = TERMINOLOGY_RESOURCE_TYPES;

/**
 * Runs inside every write transaction. For a CodeSystem, ValueSet or ConceptMap it
 * - refuses a resource the terminology service could not use (no canonical url, an unknown
 *   equivalence, duplicate codes...): 400 naming every problem, and nothing is stored;
 * - sends a NOTIFY that PostgreSQL delivers to every replica on commit (and never on rollback);
 * - tells this replica's HubTerminology the transaction id, so its next operation can reload as
 *   soon as the transaction has committed.
 */
export function createTerminologyWriteListener(terminology: HubTerminology): WriteListener {
  return async (event) => {
    const { resourceType, id } = event.resource;
    if (!WATCHED_TYPES.includes(resourceType)) return;
    if (event.interaction !== 'delete') assertUsable(event.resource);
    const [row] = await event.db<{ txid: string }[]>`
      SELECT txid_current()::text AS txid, pg_notify(${TERMINOLOGY_CHANGED_CHANNEL}, ${`${resourceType}/${id}`})`;
    terminology.noteLocalWrite(row.txid);
  };
}

function assertUsable(resource: unknown): void {
  const problems = checkTerminologyResource(resource);
  if (problems.length === 0) return;
  const kind = TerminologyError.INVALID_RESOURCE;
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: problems.map((problem) => ({
      severity: 'error',
      code: kind.issue,
      details: {
        coding: [{ system: ERROR_CODE_SYSTEM, code: kind.code }],
        text: `${problem.path ? `${problem.path}: ` : ''}${problem.message} (the hub's terminology service could not use it)`,
      },
      ...(problem.path ? { expression: [problem.path] } : undefined),
    })),
  };
  throw new OperationOutcomeError(outcome);
}
