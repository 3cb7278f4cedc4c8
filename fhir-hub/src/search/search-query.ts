import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/** `_include` / `_revinclude` target: `Source:param[:Target]`, `*` for every reference. */
export interface IncludeSpec {
  /** The type whose reference parameter is followed; '*' with `_include=*`. */
  sourceType: string;
  /** The reference parameter, or '*' for all of them. */
  code: string;
  targetType?: string;
  iterate: boolean;
}

export interface SortKey {
  code: string;
  descending: boolean;
}

/** One search parameter as it appeared in the request (modifiers and chains still in the key). */
export interface RawFilter {
  key: string;
  value: string;
}

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';

/**
 * A FHIR search as the hub runs it: parsed from the query string by parse-query.ts, or converted
 * from core's SearchRequest for searches the FHIR router makes (conditional writes, batches).
 */
export interface SearchQuery {
  /** One type for `GET /Patient`, several for `GET /?_type=Patient,Practitioner`. */
  resourceTypes: string[];
  /** True for a system-level search (`GET [base]?_type=...`): links point at the base. */
  systemLevel: boolean;
  filters: RawFilter[];
  sort: SortKey[];
  count?: number;
  offset?: number;
  cursor?: string;
  total?: 'none' | 'estimate' | 'accurate';
  summary?: SummaryMode;
  elements?: string[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** `Prefer: handling=strict` makes unknown parameters a 400; lenient drops and reports them. */
  handling: 'strict' | 'lenient';
  /** Warnings found while parsing (unknown parameters under lenient handling). */
  issues: OperationOutcomeIssue[];
}

export function isSearchQuery(value: unknown): value is SearchQuery {
  return !!value && typeof value === 'object' && Array.isArray((value as SearchQuery).resourceTypes);
}
