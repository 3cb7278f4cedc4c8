import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/** Identity errors (listed in fhir-hub/README.md, section "Patient identity"). */
export const IdentityError = {
  INVALID_INPUT: { code: 'SIMPUL-ID-001', id: undefined, issue: 'invalid' },
  NOT_FOUND: { code: 'SIMPUL-ID-002', id: 'not-found', issue: 'not-found' },
  CONFLICT: { code: 'SIMPUL-ID-003', id: 'conflict', issue: 'conflict' },
  INVALID_DECISION: { code: 'SIMPUL-ID-004', id: undefined, issue: 'business-rule' },
} as const satisfies Record<string, { code: string; id: string | undefined; issue: OperationOutcomeIssue['code'] }>;

type Kind = (typeof IdentityError)[keyof typeof IdentityError];

export function identityError(kind: Kind, text: string, expression?: string): OperationOutcomeError {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    ...(kind.id ? { id: kind.id } : undefined),
    issue: [
      {
        severity: 'error',
        code: kind.issue,
        details: { coding: [{ system: 'https://simpul.dev/fhir/CodeSystem/error', code: kind.code }], text },
        ...(expression ? { expression: [expression] } : undefined),
      },
    ],
  };
  return new OperationOutcomeError(outcome);
}
