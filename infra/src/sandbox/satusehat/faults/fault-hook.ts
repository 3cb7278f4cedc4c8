import { STATUS_CODES } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rateLimitedBody, type TokenRejection } from '../outcomes.ts';
import { businessRuleViolation, SandboxHttpError } from '../sandbox-error.ts';
import type { ActiveFault, FaultController } from './fault-controller.ts';

export interface FaultHookOptions {
  faults: FaultController;
  /** The same 401 a really expired token gets. */
  tokenRejection: (reason: TokenRejection) => SandboxHttpError;
  businessRuleStatus: number;
  /** Paths never faulted (the control API). */
  exempt: (path: string) => boolean;
  onFired: (request: FastifyRequest, fault: ActiveFault) => void;
}

/**
 * The root `onRequest` hook that answers with an injected fault instead of the route, before
 * authentication and before the body is read, like a gateway in front of the platform would.
 */
export function faultHook(options: FaultHookOptions) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const path = request.url.split('?')[0];
    if (options.exempt(path)) return;
    const fault = options.faults.take(request.method, path);
    if (fault === undefined) return;
    options.onFired(request, fault);
    switch (fault.kind) {
      case 'slow':
        await delay(fault.delayMs);
        return;
      case '5xx':
        throw new SandboxHttpError(fault.status, STATUS_CODES[fault.status] ?? 'Server Error');
      case '429':
        throw new SandboxHttpError(429, rateLimitedBody(), { headers: { 'retry-after': String(fault.retryAfterSeconds) } });
      case 'expired-token':
        throw options.tokenRejection('expired');
      case 'business-rule':
        throw businessRuleViolation(options.businessRuleStatus);
    }
  };
}
