import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenRejectionBody, type TokenRejection, type TokenRejectionBody } from '../outcomes.ts';
import { SandboxHttpError } from '../sandbox-error.ts';
import type { TokenGrant, TokenIssuer } from './token-issuer.ts';

/**
 * Checks `Authorization: Bearer <token>` before the body is read (an unauthenticated 500 MB upload
 * is refused at once) and remembers which organisation the request speaks for.
 */
export class BearerGuard {
  private readonly issuer: TokenIssuer;
  private readonly bodyShape: TokenRejectionBody;
  private readonly grants = new WeakMap<FastifyRequest, TokenGrant>();

  constructor(issuer: TokenIssuer, bodyShape: TokenRejectionBody) {
    this.issuer = issuer;
    this.bodyShape = bodyShape;
  }

  /** An `onRequest` hook for the protected contexts. */
  readonly onRequest = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const check = this.issuer.check(bearerToken(request.headers.authorization));
    if (!check.ok) throw this.rejection(check.reason);
    this.grants.set(request, check.grant);
  };

  rejection(reason: TokenRejection): SandboxHttpError {
    return new SandboxHttpError(401, tokenRejectionBody(reason, this.bodyShape), {
      headers: { 'www-authenticate': `Bearer error="invalid_token"` },
    });
  }

  /** The grant of a request that passed the hook. */
  grantOf(request: FastifyRequest): TokenGrant {
    const grant = this.grants.get(request);
    if (grant === undefined) throw new Error('BearerGuard.grantOf called for a request the guard did not check');
    return grant;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
