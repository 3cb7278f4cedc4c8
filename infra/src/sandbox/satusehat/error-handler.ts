import type { FastifyError, FastifyInstance } from 'fastify';
import { operationOutcome, outcomeIssue } from './outcomes.ts';
import { SandboxHttpError } from './sandbox-error.ts';

/** Fastify's own client errors (bad JSON, wrong media type, body too large) in the platform's 4xx shape. */
const CLIENT_ERROR_CODES: Record<number, string> = { 413: 'too-costly', 415: 'not-supported' };

/**
 * One place that turns what a route threw into the answer: a `SandboxHttpError` as it is, a Fastify
 * client error as an OperationOutcome, anything else logged and sent as the platform's bare
 * `text/plain` 500.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof SandboxHttpError) return error.send(reply);
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply
        .code(status)
        .type('application/json')
        .send(operationOutcome([outcomeIssue(CLIENT_ERROR_CODES[status] ?? 'structure', error.message)]));
    }
    request.log.error({ err: error }, 'SATUSEHAT sandbox failed to answer');
    return reply.code(500).type('text/plain; charset=utf-8').send('Internal Server Error');
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send(operationOutcome([outcomeIssue('not-found', `The sandbox has no ${request.method} ${request.url.split('?')[0]}`)])),
  );
}
