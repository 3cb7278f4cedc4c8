import { OperationOutcomeError, getStatus } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FastifyError, FastifyInstance } from 'fastify';
import { HubError, hubOutcome, statusOfHubOutcome } from '../errors.ts';

/**
 * One root handler: OperationOutcomeErrors go out as they are with their status; Fastify's own
 * client errors (body too large, bad content type) become outcomes; anything else is logged with
 * the trace id and answered with a plain 500 that leaks nothing.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError | OperationOutcomeError, request, reply) => {
    let outcome: OperationOutcome;
    let status: number;
    if (error instanceof OperationOutcomeError) {
      outcome = error.outcome;
      status = statusOfHubOutcome(outcome) ?? getStatus(outcome);
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      outcome = hubOutcome(HubError.BODY_TOO_LARGE, 'The request body is larger than the configured limit (hub.maxBodyBytes / hub.maxBinaryBytes)');
      status = 413;
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      outcome = hubOutcome(HubError.UNSUPPORTED_MEDIA_TYPE, `Unsupported Content-Type "${request.headers['content-type'] ?? ''}"`);
      status = 415;
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      outcome = hubOutcome({ ...HubError.INVALID_JSON, status: error.statusCode }, error.message);
      status = error.statusCode;
    } else {
      outcome = hubOutcome(HubError.INTERNAL, `Internal error; quote trace id ${String(request.id)} to the operator`);
      status = 500;
    }
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ status, issue: outcome.issue?.[0]?.details?.text }, 'request refused');
    }
    reply.header('content-type', 'application/fhir+json; charset=utf-8');
    return reply.status(status).send(JSON.stringify(outcome));
  });

  app.setNotFoundHandler(async (request, reply) => {
    const outcome = hubOutcome(HubError.NOT_FOUND, `No route for ${request.method} ${request.url.split('?')[0].slice(0, 200)}`);
    reply.header('content-type', 'application/fhir+json; charset=utf-8');
    return reply.status(404).send(JSON.stringify(outcome));
  });
}
