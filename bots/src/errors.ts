import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { PermanentError, RetryableError } from '@simpul/infra';

/**
 * The bots workspace's error catalogue (listed in bots/README.md; keep both in step).
 * Admin API errors reach HTTP as OperationOutcomes; delivery errors end up in a dead letter's
 * `lastError` and in the attempt's AuditEvent, prefixed with their code so an operator can grep.
 */
export const BotsError = {
  INVALID_QUEUE: { code: 'SIMPUL-BOTS-001', status: 400, issue: 'value' },
  QUEUE_NOT_FOUND: { code: 'SIMPUL-BOTS-002', status: 404, issue: 'not-found' },
  INVALID_REPLAY: { code: 'SIMPUL-BOTS-003', status: 400, issue: 'invalid' },
  BUS_UNAVAILABLE: { code: 'SIMPUL-BOTS-004', status: 503, issue: 'transient' },
} as const satisfies Record<string, { code: string; status: number; issue: OperationOutcomeIssue['code'] }>;

export type BotsErrorKind = (typeof BotsError)[keyof typeof BotsError];

/** Codes of delivery failures (not HTTP): the text of a dead letter starts with one. */
export const DeliveryFailure = {
  MALFORMED_DELIVERY: 'SIMPUL-BOTS-101',
  BOT_THREW: 'SIMPUL-BOTS-102',
  BOT_TIMED_OUT: 'SIMPUL-BOTS-103',
  BOT_RESULT_NOT_JSON: 'SIMPUL-BOTS-104',
  BOT_WORKER_STOPPED: 'SIMPUL-BOTS-105',
  AUDIT_NOT_RECORDED: 'SIMPUL-BOTS-106',
  BOT_REFUSED: 'SIMPUL-BOTS-107',
  ENDPOINT_FAILED: 'SIMPUL-BOTS-201',
  ENDPOINT_REFUSED: 'SIMPUL-BOTS-202',
  ENDPOINT_UNREACHABLE: 'SIMPUL-BOTS-203',
  SUBSCRIPTION_UNUSABLE: 'SIMPUL-BOTS-204',
} as const;

export type DeliveryFailureCode = (typeof DeliveryFailure)[keyof typeof DeliveryFailure];

const CODE_SYSTEM = 'https://simpul.dev/fhir/CodeSystem/error';

/** Outcome ids that `@medplum/core`'s getStatus maps to the same status (it has none for 503). */
const OUTCOME_ID_BY_STATUS: Record<number, string> = { 404: 'not-found' };
const STATUS_BY_CODE = new Map<string, number>(Object.values(BotsError).map((kind) => [kind.code, kind.status]));

/** The HTTP status of one of our outcomes, from its error code; undefined for anyone else's. */
export function botsErrorStatus(outcome: OperationOutcome): number | undefined {
  const code = outcome.issue?.[0]?.details?.coding?.find((coding) => coding.system === CODE_SYSTEM)?.code;
  return code === undefined ? undefined : STATUS_BY_CODE.get(code);
}

export function botsOutcome(kind: BotsErrorKind, text: string, expression?: string): OperationOutcome {
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

export function botsError(kind: BotsErrorKind, text: string, expression?: string): OperationOutcomeError {
  return new OperationOutcomeError(botsOutcome(kind, text, expression));
}

/** A delivery attempt that may work later: the bus retries it on schedule. */
export function retryableFailure(code: DeliveryFailureCode, text: string, cause?: unknown): RetryableError {
  return new RetryableError(`[${code}] ${text}`, cause === undefined ? undefined : { cause });
}

/** A delivery that cannot work as it is: the bus dead-letters it at once, with this text. */
export function permanentFailure(code: DeliveryFailureCode, text: string, cause?: unknown): PermanentError {
  return new PermanentError(`[${code}] ${text}`, cause === undefined ? undefined : { cause });
}
