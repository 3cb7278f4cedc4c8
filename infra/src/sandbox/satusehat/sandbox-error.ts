import type { FastifyReply } from 'fastify';
import { businessRuleOutcome, operationOutcome, outcomeIssue, type OutcomeIssue } from './outcomes.ts';

/**
 * An answer the sandbox gives instead of the normal one: a status and the body the real platform
 * would send. Thrown anywhere below a route; the root error handler sends it as it is.
 */
export class SandboxHttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly contentType: string;
  readonly headers: Record<string, string>;

  constructor(status: number, body: unknown, options: { contentType?: string; headers?: Record<string, string>; message?: string } = {}) {
    super(options.message ?? (typeof body === 'string' ? body : describeBody(body)));
    this.name = 'SandboxHttpError';
    this.status = status;
    this.body = body;
    this.contentType = options.contentType ?? (typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
    this.headers = options.headers ?? {};
  }

  send(reply: FastifyReply): FastifyReply {
    return reply.code(this.status).headers(this.headers).type(this.contentType).send(this.body);
  }
}

/** A 4xx OperationOutcome with one or more issues (section 8's shape). */
export function outcomeError(status: number, issues: OutcomeIssue[]): SandboxHttpError {
  return new SandboxHttpError(status, operationOutcome(issues));
}

export function badRequest(code: 'value' | 'format' | 'duplicate' | 'not-supported' | 'structure', text: string, expression?: string): SandboxHttpError {
  return outcomeError(400, [outcomeIssue(code, text, expression)]);
}

export function notFound(text: string): SandboxHttpError {
  return outcomeError(404, [outcomeIssue('not-found', text)]);
}

export function businessRuleViolation(status: number): SandboxHttpError {
  return new SandboxHttpError(status, businessRuleOutcome());
}

function describeBody(body: unknown): string {
  const issues = (body as { issue?: { details?: { text?: string } }[] } | undefined)?.issue;
  return issues?.map((i) => i.details?.text ?? '').join('; ') || 'sandbox error';
}
