/**
 * The viewer's static files at /app/ (public, SPA fallback, cache headers, no way out of the folder,
 * a clear page when the build is missing), /app/config.json naming the viewer's public client, and the
 * message-store stats the integration monitor reads.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClient } from '../src/auth/index.ts';
import { appRoutes } from '../src/http/app-routes.ts';
import { createTestHub, TEST_BASE_URL, type TestHub } from './support/test-hub.ts';

let hub: TestHub;
let root: string;
let dist: string;
let app: FastifyInstance;
let missing: FastifyInstance;

beforeAll(async () => {
  hub = await createTestHub();
  root = await mkdtemp(join(tmpdir(), 'simpul-app-'));
  dist = join(root, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>viewer</title><div id="root"></div>');
  await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log("viewer")');
  await writeFile(join(dist, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(join(root, 'secret.txt'), 'outside the viewer');
  await symlink(join(root, 'secret.txt'), join(dist, 'leak.txt'));
  app = Fastify();
  await app.register(appRoutes, { sql: hub.db.sql, baseUrl: TEST_BASE_URL, distDir: dist });
  missing = Fastify();
  await missing.register(appRoutes, { sql: hub.db.sql, baseUrl: TEST_BASE_URL, distDir: join(root, 'not-built') });
});

afterAll(async () => {
  await app?.close();
  await missing?.close();
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

describe('the viewer at /app/', () => {
  test('serves index.html revalidated and hashed assets immutable, with their content types', async () => {
    const index = await app.inject({ method: 'GET', url: '/app/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.body).toContain('<div id="root">');
    const js = await app.inject({ method: 'GET', url: '/app/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log("viewer")');
    expect((await app.inject({ method: 'GET', url: '/app/assets/index-abc123.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  test('redirects /app to /app/ and answers index.html for the viewer\'s own routes', async () => {
    const bare = await app.inject({ method: 'GET', url: '/app' });
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe('/app/');
    for (const route of ['/app/study/abc', '/app/patient/p1?tab=results', '/app/monitor']) {
      const page = await app.inject({ method: 'GET', url: route });
      expect(page.statusCode, route).toBe(200);
      expect(page.body, route).toContain('<div id="root">');
    }
  });

  test('a missing file with an extension is 404, not the SPA page', async () => {
    const response = await app.inject({ method: 'GET', url: '/app/assets/nope.js' });
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('<div id="root">');
  });

  test('refuses every way out of the folder, symlinks included', async () => {
    for (const url of ['/app/..%2fsecret.txt', '/app/%2e%2e/secret.txt', '/app/assets/..%2f..%2fsecret.txt', '/app/..%5csecret.txt', '/app/a%00.js', '/app/%E0%A4%A']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.body, url).not.toContain('outside the viewer');
    }
    const link = await app.inject({ method: 'GET', url: '/app/leak.txt' });
    expect(link.statusCode).toBe(404);
    expect(link.body).not.toContain('outside the viewer');
  });

  test('a missing build answers a page that says how to build it', async () => {
    const response = await missing.inject({ method: 'GET', url: '/app/' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('npm run build -w ui');
  });

  test('is mounted on the hub without a token, beside the secured FHIR API', async () => {
    const config = await hub.app.inject({ method: 'GET', url: '/app/config.json', headers: { authorization: '' } });
    expect(config.statusCode).toBe(200);
    expect((await hub.app.inject({ method: 'GET', url: '/fhir/R4/Patient', headers: { authorization: '' } })).statusCode).toBe(401);
  });
});

describe('/app/config.json', () => {
  test('without a viewer client: clientId null and the command that registers one', async () => {
    const response = await app.inject({ method: 'GET', url: `/app/config.json?redirect_uri=${encodeURIComponent('http://127.0.0.1:9/app/')}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body.clientId).toBeNull();
    expect(body.setup).toContain('simpul client create --name "Simpul viewer" --public --redirect-uri http://127.0.0.1:9/app/');
  });

  test('names the public client registered for the redirect URI, never a confidential or disabled one', async () => {
    const base = 'http://127.0.0.1:8103/';
    const redirect = `${base}app/`;
    const local = Fastify();
    await local.register(appRoutes, { sql: hub.db.sql, baseUrl: base, distDir: dist });
    await createClient(hub.db.sql, { name: 'confidential app', scope: 'openid user/*.rs', redirectUris: [redirect] });
    const { client } = await createClient(hub.db.sql, { name: 'Simpul viewer', scope: 'openid fhirUser user/*.rs user/Task.cu', redirectUris: [redirect], public: true });
    const body = (await local.inject({ method: 'GET', url: '/app/config.json' })).json();
    expect(body.clientId).toBe(client.clientId);
    expect(body.redirectUri).toBe(redirect);
    expect(body.scope).toBe('openid fhirUser user/*.rs');
    await hub.db.sql`UPDATE auth_client SET disabled_at = now() WHERE client_id = ${client.clientId}`;
    expect((await local.inject({ method: 'GET', url: '/app/config.json' })).json().clientId).toBeNull();
    await local.close();
  });
});

describe('GET /admin/messages/stats', () => {
  async function record(source: string, status: string, receivedAt: string): Promise<void> {
    const id = randomUUID();
    const received = await hub.request('PUT', `/admin/messages/${id}/received`, {
      kind: 'hl7',
      source,
      contentType: 'application/hl7-v2',
      raw: `MSH|^~\\&|HIS|RS|SIMPUL|RS|20250101||ADT^A01|${id}|P|2.5`,
      receivedAt,
    });
    expect(received.status).toBe(200);
    if (status !== 'received') expect((await hub.request('PUT', `/admin/messages/${id}/outcome`, { status, ...(status === 'error' ? { error: 'PID-3 missing' } : {}) })).status).toBe(200);
  }

  test('counts per source and status, the last activity, and per-hour buckets', async () => {
    const hourAgo = new Date(Date.now() - 3600_000);
    hourAgo.setUTCMinutes(10, 0, 0);
    const now = new Date();
    await record('his-a', 'stored', hourAgo.toISOString());
    await record('his-a', 'stored', now.toISOString());
    await record('his-a', 'error', now.toISOString());
    await record('lab-b', 'received', now.toISOString());
    await record('old', 'stored', new Date(Date.now() - 48 * 3600_000).toISOString());
    const response = await hub.request('GET', '/admin/messages/stats?hours=24');
    expect(response.status).toBe(200);
    const stats = response.body;
    const hisA = stats.sources.find((s: { source: string }) => s.source === 'his-a');
    expect(hisA).toMatchObject({ kind: 'hl7', total: 3, byStatus: { stored: 2, error: 1, received: 0, mapped: 0 } });
    expect(Date.parse(hisA.lastReceivedAt)).toBeGreaterThanOrEqual(Date.parse(now.toISOString()) - 1000);
    expect(typeof hisA.lastErrorAt).toBe('string');
    expect(stats.sources.map((s: { source: string }) => s.source)).not.toContain('old');
    const earlier = new Date(hourAgo);
    earlier.setUTCMinutes(0, 0, 0);
    expect(stats.hourly).toContainEqual({ hour: earlier.toISOString(), source: 'his-a', status: 'stored', count: 1 });
  });

  test('refuses a bad window and tokens without the admin scope', async () => {
    expect((await hub.request('GET', '/admin/messages/stats?hours=0')).status).toBe(400);
    expect((await hub.request('GET', '/admin/messages/stats?hours=abc')).status).toBe(400);
    expect((await hub.request('GET', '/admin/messages/stats?until=yesterday')).status).toBe(400);
    expect((await hub.request('GET', '/admin/messages/stats?drop=1')).status).toBe(400);
    const reader = await hub.serviceToken('system/*.rs');
    expect((await hub.request('GET', '/admin/messages/stats', undefined, { authorization: `Bearer ${reader}` })).status).toBe(403);
    expect((await hub.request('GET', '/admin/messages/stats', undefined, { authorization: '' })).status).toBe(401);
  });
});
