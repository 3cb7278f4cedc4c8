import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * Authorization errors, in the hub's catalogue style (stable code in `issue[0].details.coding`,
 * same code system as fhir-hub/src/errors.ts). The outcome id carries the HTTP status through
 * `@medplum/core`'s getStatus (unauthorized → 401, forbidden → 403).
 * Listed in src/auth/README.md; keep both in step.
 */
export const AuthError = {
  NO_TOKEN: { code: 'SIMPUL-AUTH-001', id: 'unauthorized', issue: 'login' },
  INVALID_TOKEN: { code: 'SIMPUL-AUTH-002', id: 'unauthorized', issue: 'login' },
  INSUFFICIENT_SCOPE: { code: 'SIMPUL-AUTH-003', id: 'forbidden', issue: 'forbidden' },
  OUTSIDE_GRANT: { code: 'SIMPUL-AUTH-004', id: 'forbidden', issue: 'forbidden' },
} as const satisfies Record<string, { code: string; id: string; issue: OperationOutcomeIssue['code'] }>;

export type AuthErrorKind = (typeof AuthError)[keyof typeof AuthError];

const CODE_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/error';

export function authOutcome(kind: AuthErrorKind, text: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: kind.id,
    issue: [{ severity: 'error', code: kind.issue, details: { coding: [{ system: CODE_SYSTEM, code: kind.code }], text } }],
  };
}

export function authError(kind: AuthErrorKind, text: string): OperationOutcomeError {
  return new OperationOutcomeError(authOutcome(kind, text));
}

/** The catalogue code of an outcome, if it is one of ours. */
export function authErrorCode(outcome: OperationOutcome | undefined): string | undefined {
  const code = outcome?.issue?.[0]?.details?.coding?.find((c) => c.system === CODE_SYSTEM)?.code;
  return code?.startsWith('SIMPUL-AUTH-') ? code : undefined;
}

/** Bad input to an admin action (client create, user add): the message names what to fix. */
export class AuthInputError extends Error {
  override name = 'AuthInputError';
}
