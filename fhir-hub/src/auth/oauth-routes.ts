/**
 * The public authorization-server routes: SMART and OpenID discovery, the JWKS, userinfo, and every
 * other `/oauth2/*` path handed to oidc-provider as it is. The provider reads the request body itself,
 * so those routes sit in a child context whose content-type parser leaves the stream untouched.
 * The provider is told the public origin (hub.baseUrl) and the client IP Fastify determined through
 * X-Forwarded-* headers set here, overwriting whatever the client sent.
 * The token endpoints are brute-force limited per client IP (failures only).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidAccessToken } from './access-token.ts';
import type { AuthServer } from './auth-server.ts';
import { interactionRoutes } from './interaction-routes.ts';
import { smartConfiguration } from './smart-configuration.ts';
import { findUserById } from './user-store.ts';

const LIMITED_PATHS = new Set(['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke']);

export async function oauthRoutes(app: FastifyInstance, options: { auth: AuthServer }): Promise<void> {
  const { auth } = options;
  const smart = JSON.stringify(smartConfiguration(auth.baseUrl));

  app.get('/.well-known/smart-configuration', async (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8').header('access-control-allow-origin', '*');
    return smart;
  });
  app.get('/.well-known/openid-configuration', (request, reply) => forward(auth, request, reply));
  app.get('/oauth2/jwks', async (_request, reply) => {
    reply.header('content-type', 'application/jwk-set+json; charset=utf-8').header('cache-control', 'max-age=60');
    reply.header('access-control-allow-origin', '*');
    return JSON.stringify(auth.keyRing.publicJwks());
  });
  app.route({ method: ['GET', 'POST'], url: '/oauth2/userinfo', handler: (request, reply) => userinfo(auth, request, reply) });

  await app.register(interactionRoutes, { auth });

  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    raw.route({ method: ['GET', 'POST', 'OPTIONS'], url: '/oauth2/*', handler: (request, reply) => forward(auth, request, reply) });
  });
}

async function forward(auth: AuthServer, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const path = request.url.split('?')[0];
  const limited = request.method === 'POST' && LIMITED_PATHS.has(path);
  const ipKey = `ip:${request.ip}`;
  if (limited) {
    const wait = auth.limiter.retryAfter([ipKey]);
    if (wait > 0) {
      auth.counters.rateLimited += 1;
      await reply
        .code(429)
        .header('retry-after', String(wait))
        .header('cache-control', 'no-store')
        .send({ error: 'temporarily_unavailable', error_description: `too many failed attempts from this address; retry in ${wait} s` });
      return;
    }
  }
  const raw = request.raw;
  const base = new URL(auth.baseUrl);
  raw.headers['x-forwarded-proto'] = base.protocol.slice(0, -1);
  raw.headers['x-forwarded-host'] = base.host;
  raw.headers['x-forwarded-for'] = request.ip;
  raw.headers['x-trace-id'] = String(request.id);
  const basePath = base.pathname.replace(/\/$/, '');
  if (basePath) (raw as typeof raw & { originalUrl?: string }).originalUrl = `${basePath}${raw.url ?? ''}`;
  reply.hijack();
  await auth.handler(raw, reply.raw);
  if (limited && (reply.raw.statusCode === 400 || reply.raw.statusCode === 401)) auth.limiter.fail([ipKey]);
}

/** OpenID userinfo from the verified access token (oidc-provider's own refuses FHIR-audience JWTs). */
async function userinfo(auth: AuthServer, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const header = request.headers.authorization ?? '';
  const token = /^Bearer +(\S+)$/i.exec(header)?.[1];
  try {
    if (!token) throw new InvalidAccessToken('no access token');
    const context = await auth.verifier.verify(token);
    if (context.kind !== 'user') throw new InvalidAccessToken('userinfo needs a token issued to a person');
    const user = await findUserById(auth.sql, context.subject);
    if (!user || user.disabledAt) throw new InvalidAccessToken('the user no longer exists');
    reply.header('cache-control', 'no-store');
    return { sub: user.id, preferred_username: user.username, fhirUser: `${auth.fhirAudience}/${user.fhirUser}` };
  } catch (err) {
    if (!(err instanceof InvalidAccessToken)) throw err;
    return reply
      .code(401)
      .header('www-authenticate', `Bearer realm="simpul", error="invalid_token", error_description="${err.message}"`)
      .send({ error: 'invalid_token', error_description: err.message });
  }
}
