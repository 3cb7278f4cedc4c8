import type { WithId } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/connect.ts';

/**
 * A change the repository made, handed to listeners inside the same database transaction:
 * whatever a listener writes with `db` (an outbox row, an audit row) commits or rolls back with it.
 */
export interface WriteEvent {
  interaction: 'create' | 'update' | 'delete';
  resource: WithId<Resource>;
  previous?: Resource;
  /** For deletes: the version id and time of the deletion. */
  versionId?: string;
  lastUpdated?: string;
  db: Queryable;
}

export type WriteListener = (event: WriteEvent) => Promise<void>;
