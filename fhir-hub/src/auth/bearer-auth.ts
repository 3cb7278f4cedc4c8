/**
 * Installs bearer-token authentication on a Fastify context (FHIR, /auth/me, the admin API): every
 * request there needs a valid access token of this hub, or gets 401 with `WWW-Authenticate: Bearer`
 * (RFC 6750) and a FHIR OperationOutcome. 403 answers carry `error="insufficient_scope"`.
 * It also opens the request's audit trail and stores it just before the response goes out.
 * Public routes (metadata, discovery, health) live in sibling contexts and never see this hook.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidAccessToken } from './access-token.ts';
import type { AuthContext } from './auth-context.ts';
import { AuthError, authOutcome } from './auth-errors.ts';
import type { AuthServer } from './auth-server.ts';
import { RequestAudit } from './audit-writer.ts';
import { ScopedRepository } from './scoped-repository.ts';
import { ADMIN_SCOPE } from './smart-scopes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; set for every request that passed bearer authentication. */
    simpulAuth: AuthContext | null;
    simpulAudit: RequestAudit | null;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const METHOD_INTERACTION: Record<string, string> = { GET: 'read', HEAD: 'read', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export function requireBearerToken(app: FastifyInstance, auth: AuthServer): void {
  app.decorateRequest('simpulAuth', null);
  app.decorateRequest('simpulAudit', null);

  app.addHook('onRequest', async (request, reply) => {
    const audit = new RequestAudit({ ip: request.ip, method: request.method, path: request.url.split('?')[0].slice(0, 500), traceId: String(request.id) });
    request.simpulAudit = audit;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) {
      const text = header ? 'The Authorization header is not "Bearer <access token>"' : 'This endpoint needs an access token (Authorization: Bearer ...)';
      audit.recordDenied(interactionOf(request), undefined, text);
      return unauthorized(reply, text, header ? 'invalid_request' : undefined);
    }
    try {
      const context = await auth.verifier.verify(match[1]);
      request.simpulAuth = context;
      audit.auth = context;
    } catch (err) {
      if (!(err instanceof InvalidAccessToken)) throw err;
      audit.recordDenied(interactionOf(request), undefined, `Invalid access token: ${err.message}`);
      return unauthorized(reply, `Invalid access token: ${err.message}`, 'invalid_token');
    }
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 403 && !reply.hasHeader('www-authenticate')) {
      reply.header('www-authenticate', 'Bearer realm="simpul", error="insufficient_scope"');
    }
    if (request.simpulAudit) await auth.audit.flush(request.simpulAudit, reply.statusCode);
    return payload;
  });
}

function unauthorized(reply: FastifyReply, text: string, error?: 'invalid_request' | 'invalid_token'): FastifyReply {
  const challenge = error ? `Bearer realm="simpul", error="${error}", error_description="${text.replace(/["\\]/g, "'")}"` : 'Bearer realm="simpul"';
  const kind = error === 'invalid_token' ? AuthError.INVALID_TOKEN : AuthError.NO_TOKEN;
  return reply
    .code(401)
    .header('www-authenticate', challenge)
    .header('content-type', 'application/fhir+json; charset=utf-8')
    .send(JSON.stringify(authOutcome(kind, text)));
}

function interactionOf(request: FastifyRequest): string {
  return METHOD_INTERACTION[request.method] ?? 'operation';
}

/** For the admin API: the token must hold the hub's admin scope (403 and an audit record otherwise). */
export function requireAdminScope(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.simpulAuth?.admin) return undefined;
    const text = `The admin API needs a client-credentials token with the "${ADMIN_SCOPE}" scope`;
    request.simpulAudit?.recordDenied(interactionOf(request), undefined, text);
    return reply
      .code(403)
      .header('www-authenticate', `Bearer realm="simpul", error="insufficient_scope", scope="${ADMIN_SCOPE}"`)
      .header('content-type', 'application/fhir+json; charset=utf-8')
      .send(JSON.stringify(authOutcome(AuthError.INSUFFICIENT_SCOPE, text)));
  });
}

/** The request's repository: the hub's, behind the verified token's scopes, recording into its audit trail. */
export function requestRepository(auth: AuthServer, request: FastifyRequest): ScopedRepository {
  if (!request.simpulAuth || !request.simpulAudit) {
    throw new Error('requestRepository() called on a route without requireBearerToken()');
  }
  return new ScopedRepository(auth.repo, auth.policyFor(request.simpulAuth), request.simpulAudit, auth.fhirAudience);
}
