import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * The terminology workspace's error catalogue. Each error has a stable code (carried in the
 * issue's `details.coding`, system `https://simpul.dev/fhir/CodeSystem/error`), an HTTP status
 * for the hub and an issue type. Listed in terminology/README.md; keep both in step.
 */
export const TerminologyError = {
  /** An operation input is missing or malformed (no code, negative offset, both concept and filter...). */
  INVALID_PARAMETER: { code: 'SIMPUL-TERM-001', status: 400, issue: 'invalid' },
  /** The named ValueSet is not loaded. */
  UNKNOWN_VALUE_SET: { code: 'SIMPUL-TERM-002', status: 404, issue: 'not-found' },
  /** The named ConceptMap is not loaded. */
  UNKNOWN_CONCEPT_MAP: { code: 'SIMPUL-TERM-003', status: 404, issue: 'not-found' },
  /** `$lookup` on a code system that is not loaded. */
  UNKNOWN_CODE_SYSTEM: { code: 'SIMPUL-TERM-004', status: 404, issue: 'not-found' },
  /** `$lookup` of a code the code system does not define (or cannot tell: `content: not-present`). */
  UNKNOWN_CODE: { code: 'SIMPUL-TERM-005', status: 404, issue: 'not-found' },
  /** A CodeSystem, ValueSet or ConceptMap handed to the store breaks a rule the store relies on. */
  INVALID_RESOURCE: { code: 'SIMPUL-TERM-006', status: 400, issue: 'invalid' },
  /** A terminology file or directory could not be loaded; every problem is listed with file and line. */
  LOAD_FAILED: { code: 'SIMPUL-TERM-007', status: 400, issue: 'invalid' },
  /** A ValueSet cannot be expanded (code system not loaded or without content, unsupported filter, include cycle). */
  CANNOT_EXPAND: { code: 'SIMPUL-TERM-008', status: 400, issue: 'not-supported' },
  /** The expansion would hold more codes than the configured limit. */
  EXPANSION_TOO_LARGE: { code: 'SIMPUL-TERM-009', status: 400, issue: 'too-costly' },
} as const satisfies Record<string, TerminologyErrorKind>;

export interface TerminologyErrorKind {
  code: string;
  status: number;
  issue: OperationOutcomeIssue['code'];
}

export const ERROR_CODE_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/error';

/** `@medplum/core`'s getStatus reads the outcome id; 400 needs none. */
const OUTCOME_ID_BY_STATUS: Record<number, string> = { 404: 'not-found' };

export function terminologyIssue(kind: TerminologyErrorKind, text: string, expression?: string): OperationOutcomeIssue {
  return {
    severity: 'error',
    code: kind.issue,
    details: { coding: [{ system: ERROR_CODE_SYSTEM, code: kind.code }], text },
    ...(expression ? { expression: [expression] } : undefined),
  };
}

export function terminologyOutcome(
  kind: TerminologyErrorKind,
  issues: OperationOutcomeIssue | OperationOutcomeIssue[],
): OperationOutcome {
  const id = OUTCOME_ID_BY_STATUS[kind.status];
  return {
    resourceType: 'OperationOutcome',
    ...(id ? { id } : undefined),
    issue: Array.isArray(issues) ? issues : [issues],
  };
}

export function terminologyError(kind: TerminologyErrorKind, text: string, expression?: string): OperationOutcomeError {
  return new OperationOutcomeError(terminologyOutcome(kind, terminologyIssue(kind, text, expression)));
}

/** The catalogue code an error carries, if it is one of ours (for tests and callers that branch). */
export function terminologyErrorCode(error: unknown): string | undefined {
  if (!(error instanceof OperationOutcomeError)) return undefined;
  return error.outcome.issue?.[0]?.details?.coding?.find((coding) => coding.system === ERROR_CODE_SYSTEM)?.code;
}
