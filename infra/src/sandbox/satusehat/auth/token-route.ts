import type { FastifyInstance } from 'fastify';
import { invalidCredentialsOutcome, operationOutcome, outcomeIssue } from '../outcomes.ts';
import { SandboxHttpError } from '../sandbox-error.ts';
import type { TokenIssuer } from './token-issuer.ts';

export interface TokenRouteOptions {
  issuer: TokenIssuer;
  badCredentialsStatus: number;
}

/**
 * `POST /oauth2/v1/accesstoken?grant_type=client_credentials` with the credentials as form fields
 * (section 2). Credentials anywhere else (Basic auth, JSON) are not looked at, so they count as
 * missing, which the platform answers like wrong ones.
 */
export async function tokenRoutes(app: FastifyInstance, options: TokenRouteOptions): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  // Any other body is read and ignored, so a JSON or Basic-auth client gets the credentials error, not a 415.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, _body, done) => {
    done(null, undefined);
  });

  app.post('/accesstoken', async (request, reply) => {
    const grantType = (request.query as Record<string, unknown>).grant_type;
    if (typeof grantType !== 'string' || grantType === '') {
      throw new SandboxHttpError(
        400,
        operationOutcome([outcomeIssue('value', 'Required query parameter: grant_type (send ?grant_type=client_credentials)', 'grant_type')]),
      );
    }
    if (grantType !== 'client_credentials') {
      throw new SandboxHttpError(400, operationOutcome([outcomeIssue('value', `Unsupported grant type: ${grantType}`, 'grant_type')]));
    }
    const form = request.body instanceof URLSearchParams ? request.body : undefined;
    const org = options.issuer.authenticate(form?.get('client_id') ?? '', form?.get('client_secret') ?? '');
    if (org === undefined) throw new SandboxHttpError(options.badCredentialsStatus, invalidCredentialsOutcome());
    return reply.code(200).type('application/json').send(options.issuer.issue(org));
  });
}
