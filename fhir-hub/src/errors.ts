import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * The hub's error catalogue. Each error has a stable code (carried in the issue's
 * `details.coding`), an HTTP status and a message naming the thing to fix.
 * Listed in fhir-hub/README.md; keep both in step.
 */
export const HubError = {
  INVALID_JSON: { code: 'SIMPUL-HUB-001', status: 400, issue: 'structure' },
  BODY_TOO_LARGE: { code: 'SIMPUL-HUB-002', status: 413, issue: 'too-long' },
  QUERY_TOO_LONG: { code: 'SIMPUL-HUB-003', status: 414, issue: 'too-long' },
  UNKNOWN_RESOURCE_TYPE: { code: 'SIMPUL-HUB-004', status: 404, issue: 'not-supported' },
  INVALID_ID: { code: 'SIMPUL-HUB-005', status: 400, issue: 'value' },
  UNSUPPORTED_MEDIA_TYPE: { code: 'SIMPUL-HUB-006', status: 415, issue: 'not-supported' },
  ID_IN_USE: { code: 'SIMPUL-HUB-007', status: 409, issue: 'duplicate' },
  BINARY_CONTENT_MISSING: { code: 'SIMPUL-HUB-008', status: 500, issue: 'exception' },
  WRONG_RESOURCE_TYPE: { code: 'SIMPUL-HUB-009', status: 400, issue: 'invalid' },
  NOT_FOUND: { code: 'SIMPUL-HUB-010', status: 404, issue: 'not-found' },
  INTERNAL: { code: 'SIMPUL-HUB-500', status: 500, issue: 'exception' },
} as const satisfies Record<string, { code: string; status: number; issue: OperationOutcomeIssue['code'] }>;
export interface HubErrorKind {
  code: string;
  status: number;
  issue: OperationOutcomeIssue['code'];
}

const CODE_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/error';

/**
 * Outcome ids that `@medplum/core`'s getStatus maps to an HTTP status; anything else is 400
 * (or 500 for issue code `exception`).
 */
const OUTCOME_ID_BY_STATUS: Record<number, string> = {
  404: 'not-found',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'content-too-large',
  415: 'unsupported-media-type',
};

export function hubOutcome(kind: HubErrorKind, text: string, expression?: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    ...(OUTCOME_ID_BY_STATUS[kind.status] ? { id: OUTCOME_ID_BY_STATUS[kind.status] } : undefined),
    issue: [
      {
        severity: 'error',
        code: kind.issue,
        details: { coding: [{ system: CODE_SYSTEM, code: kind.code }], text },
        ...(expression ? { expression: [expression] } : undefined),
      },
    ],
  };
}

export function hubError(kind: HubErrorKind, text: string, expression?: string): OperationOutcomeError {
  return new OperationOutcomeError(hubOutcome(kind, text, expression));
}

/** Status for an outcome: our catalogue first (414 has no core id), then core's mapping. */
export function statusOfHubOutcome(outcome: OperationOutcome): number | undefined {
  const code = outcome.issue?.[0]?.details?.coding?.find((c) => c.system === CODE_SYSTEM)?.code;
  if (!code) return undefined;
  return Object.values(HubError).find((k) => k.code === code)?.status;
}
