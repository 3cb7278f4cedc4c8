/**
 * The bodies SATUSEHAT answers with when something is wrong, in its own wire shape. They are not
 * always valid FHIR (the documented credentials error has `severity: "invalid"`), which is why they
 * are plain JSON here rather than `@medplum/core` outcomes: the sandbox must look like the platform,
 * not like our hub.
 */

/** Section 2, documented word for word. */
export const INVALID_CREDENTIALS_TEXT =
  'The user or system was not able to be authenticated (either client_id or client_secret combination is unacceptable)';

/** Section 2, documented word for word: a client id used for another Organization's data. */
export const BUSINESS_RULE_TEXT = 'resource cannot be accessed due to business rule';

/** Section 7 step 6: the router treats a response whose text contains this as "already uploaded". */
export const INSTANCE_EXISTS_TEXT = 'Instance already exists';

export interface OutcomeIssue {
  severity: string;
  code: string;
  details: { text: string };
  expression?: string[];
}

export interface OperationOutcomeJson {
  resourceType: 'OperationOutcome';
  issue: OutcomeIssue[];
}

export function outcomeIssue(code: string, text: string, expression?: string, severity = 'error'): OutcomeIssue {
  return expression === undefined
    ? { severity, code, details: { text } }
    : { severity, code, details: { text }, expression: [expression] };
}

export function operationOutcome(issues: OutcomeIssue[]): OperationOutcomeJson {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The documented bad-credentials body: note `severity` is literally "invalid". */
export function invalidCredentialsOutcome(): OperationOutcomeJson {
  return operationOutcome([outcomeIssue('value', INVALID_CREDENTIALS_TEXT, undefined, 'invalid')]);
}

export function businessRuleOutcome(): OperationOutcomeJson {
  return operationOutcome([outcomeIssue('business-rule', BUSINESS_RULE_TEXT)]);
}

/** Why a bearer token was refused. */
export type TokenRejection = 'missing' | 'unknown' | 'expired';

const TOKEN_REJECTION_TEXT: Record<TokenRejection, string> = {
  missing: 'Invalid access token: no bearer token in the Authorization header',
  unknown: 'Invalid access token',
  expired: 'Access token expired',
};

/** Apigee Edge's own fault codes for the same three cases. */
const APIGEE_ERROR_CODE: Record<TokenRejection, string> = {
  missing: 'oauth.v2.InvalidAccessToken',
  unknown: 'keymanagement.service.invalid_access_token',
  expired: 'keymanagement.service.access_token_expired',
};

/** The two plausible bodies for a refused token (section 8 leaves it undocumented). */
export type TokenRejectionBody = 'operation-outcome' | 'apigee-fault';

export function tokenRejectionBody(reason: TokenRejection, shape: TokenRejectionBody): unknown {
  if (shape === 'apigee-fault') {
    return { fault: { faultstring: TOKEN_REJECTION_TEXT[reason], detail: { errorcode: APIGEE_ERROR_CODE[reason] } } };
  }
  return operationOutcome([outcomeIssue('login', TOKEN_REJECTION_TEXT[reason])]);
}

/** Apigee's spike-arrest body, which is what a gateway-level 429 looks like there. */
export function rateLimitedBody(): unknown {
  return { fault: { faultstring: 'Spike arrest violation', detail: { errorcode: 'policies.ratelimit.SpikeArrestViolation' } } };
}
