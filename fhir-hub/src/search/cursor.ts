/**
 * `_cursor` tokens for keyset paging: the phase (0 = resources with a value for the first sort key,
 * 1 = those without), the sort values of the last row of the page and its rid. Opaque to clients
 * (base64url JSON); every value goes back into SQL as a bound parameter, so a forged cursor can
 * only move the page, never change the query.
 */
import { badRequest, OperationOutcomeError } from '@medplum/core';

export interface PageCursor {
  phase: 0 | 1;
  keys: (string | null)[];
  rid: string;
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ p: cursor.phase, k: cursor.keys, r: cursor.rid })).toString('base64url');
}

export function decodeCursor(token: string, expectedKeys: (phase: 0 | 1) => number): PageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { p, k, r } = (parsed ?? {}) as { p?: unknown; k?: unknown; r?: unknown };
  if ((p !== 0 && p !== 1) || !Array.isArray(k) || typeof r !== 'string' || !/^\d{1,19}$/.test(r)) {
    throw invalid();
  }
  if (k.length !== expectedKeys(p) || !k.every((v) => v === null || (typeof v === 'string' && v.length <= 1024))) {
    throw invalid();
  }
  return { phase: p, keys: k as (string | null)[], rid: r };
}

function invalid(): OperationOutcomeError {
  return new OperationOutcomeError(badRequest('Invalid _cursor: follow the next link of the previous page', '_cursor'));
}
