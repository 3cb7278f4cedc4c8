import { PermanentError } from '@simpul/infra';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';

/**
 * How SATUSEHAT's answers become delivery errors (shared/SATUSEHAT.md §2, §8): 4xx bodies are
 * OperationOutcomes (sometimes with `severity: "invalid"`), the gateway answers with Apigee
 * `fault` bodies, and 5xx bodies are plain text such as `Gateway Timeout`.
 */

const MAX_TEXT = 500;

/** The readable part of an error body: every OperationOutcome issue, an Apigee fault, or the text itself. */
export function describeErrorBody(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return quote(trimmed);
  }
  const issues = operationOutcomeIssues(json);
  if (issues !== undefined) return issues;
  const fault = (json as { fault?: { faultstring?: unknown; detail?: { errorcode?: unknown } } } | null)?.fault;
  if (fault && typeof fault.faultstring === 'string') {
    return typeof fault.detail?.errorcode === 'string' ? `${fault.faultstring} (${fault.detail.errorcode})` : fault.faultstring;
  }
  return quote(trimmed);
}

function operationOutcomeIssues(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const outcome = json as { resourceType?: unknown; issue?: unknown };
  if (outcome.resourceType !== 'OperationOutcome' || !Array.isArray(outcome.issue)) return undefined;
  const lines = outcome.issue.map((raw: unknown) => {
    const issue = (raw ?? {}) as { severity?: unknown; code?: unknown; details?: { text?: unknown }; diagnostics?: unknown; expression?: unknown };
    const text = typeof issue.details?.text === 'string' ? issue.details.text : typeof issue.diagnostics === 'string' ? issue.diagnostics : '(no text)';
    const code = typeof issue.code === 'string' ? `[${issue.code}] ` : '';
    const where = Array.isArray(issue.expression) && issue.expression.length > 0 ? ` (at ${issue.expression.filter((e) => typeof e === 'string').join(', ')})` : '';
    return `${code}${text}${where}`;
  });
  return lines.length > 0 ? lines.join('; ') : 'an OperationOutcome without issues';
}

/** One line, at most 500 characters. */
function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return `"${line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT - 1)}…` : line}"`;
}

export interface FailedResponse {
  /** What we were doing, e.g. `search ServiceRequest by accession`. */
  what: string;
  status: number;
  body: string;
  retryAfterMs?: number;
}

/**
 * The error for an answer that is not a success: 5xx, 408 and 429 are worth retrying; any other 4xx
 * is SATUSEHAT refusing the content, which no retry changes.
 */
export function responseError(failed: FailedResponse): Error {
  const detail = describeErrorBody(failed.body);
  const message = `SATUSEHAT answered HTTP ${failed.status} to ${failed.what}${detail ? `: ${detail}` : ''}`;
  if (failed.status >= 500 || failed.status === 408 || failed.status === 429) {
    return new RetryableDeliveryError(message, failed.retryAfterMs === undefined ? undefined : { retryAfterMs: failed.retryAfterMs });
  }
  return new PermanentError(message);
}
