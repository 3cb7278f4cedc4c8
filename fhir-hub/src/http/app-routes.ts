/**
 * The viewer (`ui/dist`, built by `npm run build -w ui`) at `/app/`, outside the authenticated
 * scope: the files are public, the data they show comes through the FHIR and admin APIs with the
 * signed-in person's token. Hashed assets are cached for a year, everything else is revalidated;
 * any path without a file extension answers index.html (the viewer routes in the browser).
 *
 * `/app/config.json` tells the viewer which OAuth client it is: the oldest active public client
 * registered with the redirect URI the viewer will use (default `<baseUrl>app/`), made with
 * `simpul client create --name "Simpul viewer" --public --redirect-uri <baseUrl>app/ --scope "openid fhirUser offline_access user/*.rs"`.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Queryable } from '../db/connect.ts';

export const APP_PREFIX = '/app';
import { VIEWER_SCOPE } from '../auth/viewer-client.ts';

export { VIEWER_SCOPE };

export interface AppRoutesOptions {
  sql: Queryable;
  /** Public base URL ending in `/`. */
  baseUrl: string;
  /** The built viewer; `ui/dist` of this checkout by default. */
  distDir?: string;
}

const DEFAULT_DIST = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export async function appRoutes(app: FastifyInstance, options: AppRoutesOptions): Promise<void> {
  const dist = resolve(options.distDir ?? DEFAULT_DIST);

  app.get(APP_PREFIX, async (_request, reply) => reply.redirect(`${APP_PREFIX}/`, 301));

  app.get(`${APP_PREFIX}/config.json`, async (request, reply) => {
    const given = (request.query as Record<string, unknown>).redirect_uri;
    const redirectUri = typeof given === 'string' && given.length <= 2000 ? given : `${options.baseUrl}app/`;
    const [client] = await options.sql<{ client_id: string; scope: string }[]>`
      SELECT client_id, scope FROM auth_client
      WHERE auth_method = 'none' AND disabled_at IS NULL AND ${redirectUri} = ANY(redirect_uris)
      ORDER BY created_at, client_id LIMIT 1`;
    reply.header('cache-control', 'no-store');
    return {
      clientId: client?.client_id ?? null,
      scope: client ? viewerScope(client.scope) : VIEWER_SCOPE,
      redirectUri,
      ...(client
        ? {}
        : {
            setup: `simpul client create --name "Simpul viewer" --public --redirect-uri ${redirectUri} --scope "${VIEWER_SCOPE}"`,
          }),
    };
  });

  app.get(`${APP_PREFIX}/*`, async (request, reply) => {
    const wildcard = (request.params as { '*': string })['*'] ?? '';
    let relative: string;
    try {
      relative = decodeURIComponent(wildcard);
    } catch {
      return plain(reply, 400, 'The path is not valid percent-encoding.');
    }
    if (relative.includes('\0') || relative.split(/[\\/]/).some((part) => part === '..')) {
      return plain(reply, 400, 'The path must not leave the viewer folder.');
    }
    const wanted = resolve(dist, relative);
    if (wanted !== dist && !wanted.startsWith(dist + sep)) return plain(reply, 400, 'The path must not leave the viewer folder.');
    const file = await fileIn(dist, wanted);
    if (file) return send(reply, file, relative.startsWith('assets/'));
    if (extname(relative) !== '') return plain(reply, 404, `No file ${relative.slice(0, 200)} in the viewer.`);
    const index = await fileIn(dist, resolve(dist, 'index.html'));
    if (!index) {
      return reply
        .code(503)
        .headers({ ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .send(MISSING_BUILD_PAGE);
    }
    return send(reply, index, false);
  });
}

/** The viewer asks for what its client may have, reading only: the OIDC words plus the `user/` read scopes. */
function viewerScope(registered: string): string {
  const words = registered.split(/\s+/).filter((word) => ['openid', 'fhirUser', 'offline_access'].includes(word) || /^user\/[^ ]+\.(rs|read|\*|cruds)$/.test(word));
  return words.length > 0 ? words.join(' ') : VIEWER_SCOPE;
}

/** A regular file under `dist` after symlinks are resolved, or undefined. */
async function fileIn(dist: string, path: string): Promise<{ path: string; size: number } | undefined> {
  try {
    const real = await realpath(path);
    const realDist = await realpath(dist);
    if (!real.startsWith(realDist + sep)) return undefined;
    const info = await stat(real);
    return info.isFile() ? { path: real, size: info.size } : undefined;
  } catch {
    return undefined;
  }
}

function send(reply: FastifyReply, file: { path: string; size: number }, immutable: boolean): FastifyReply {
  return reply
    .headers({
      ...SECURITY_HEADERS,
      'content-type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(file.size),
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
    .send(createReadStream(file.path));
}

function plain(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).headers({ ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).send(text);
}

const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simpul viewer not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}code{background:#eee;padding:.1rem .3rem}</style></head>
<body><h1>The viewer is not built</h1>
<p>This hub serves the viewer from <code>ui/dist</code>, which does not exist yet. Build it once with</p>
<p><code>npm run build -w ui</code></p>
<p>and reload this page. The FHIR API at <code>/fhir/R4</code> works without it.</p></body></html>`;
