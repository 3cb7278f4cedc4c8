import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import type { InjectOptions } from 'fastify';
import pino from 'pino';
import { createClient, ensureAdminClient } from '../../src/auth/index.ts';
import { buildHub, type Hub, type HubOptions } from '../../src/http/build-hub.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export const TEST_BASE_URL = 'http://hub.test/';

export interface TestHub extends Hub {
  db: TestDatabase;
  storageDir: string;
  /** A `system/*.* admin` token: what request() and app.inject() send unless told otherwise. */
  adminToken: string;
  close(): Promise<void>;
  /**
   * JSON request through app.inject with the admin token; returns status, headers and parsed body.
   * Pass `authorization: ''` for an unauthenticated request, or `authorization: 'Bearer <token>'`.
   */
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  /** A client-credentials token for a new service client registered with these scopes. */
  serviceToken(scope: string): Promise<string>;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  raw: Buffer;
}

/**
 * A hub on a fresh database and a fresh blob directory, built but not listening. Auth is on, as in
 * production; AuditEvents are off unless `auth.audit` is set (they would add resources to the
 * history and search totals older tests count), brute-force limits are loose and service tokens
 * live an hour, so a long test file keeps its admin token.
 */
export async function createTestHub(overrides: Partial<HubOptions> = {}): Promise<TestHub> {
  const db = await createTestDatabase();
  const storageDir = await mkdtemp(join(tmpdir(), 'simpul-blobs-'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const hub = await buildHub({
    sql: db.sql,
    logger,
    baseUrl: TEST_BASE_URL,
    storageDir,
    maxBodyBytes: 1024 * 1024,
    maxBinaryBytes: 4 * 1024 * 1024,
    maxQueryStringLength: 2048,
    ...overrides,
    auth: { audit: false, bruteForceBurst: 1000, clientAccessTokenTtl: 3600, ...overrides.auth },
  });
  const inject = hub.app.inject.bind(hub.app);
  const tokenFor = async (clientId: string, secret: string): Promise<string> => {
    const response = await inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      },
      payload: 'grant_type=client_credentials',
    });
    if (response.statusCode !== 200) throw new Error(`test token request failed: ${response.statusCode} ${response.body}`);
    return (JSON.parse(response.body) as { access_token: string }).access_token;
  };
  const admin = await ensureAdminClient(db.sql, {}, logger);
  const adminToken = await tokenFor(admin.clientId, admin.secret as string);
  const withToken = (headers: Record<string, unknown> | undefined): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...headers };
    const key = Object.keys(copy).find((k) => k.toLowerCase() === 'authorization');
    if (key === undefined) copy.authorization = `Bearer ${adminToken}`;
    else if (copy[key] === '') delete copy[key];
    return copy;
  };
  // Older tests call app.inject directly: they act as the admin client too.
  (hub.app as { inject: unknown }).inject = (options?: InjectOptions | string, callback?: unknown) => {
    if (options && typeof options === 'object' && callback === undefined) {
      return inject({ ...options, headers: withToken(options.headers as Record<string, unknown>) as InjectOptions['headers'] });
    }
    return (inject as (...args: unknown[]) => unknown)(options, callback);
  };
  return {
    ...hub,
    db,
    storageDir,
    adminToken,
    async close() {
      await hub.app.close();
      await db.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
    async request(method, url, body, headers = {}) {
      const isRaw = Buffer.isBuffer(body) || typeof body === 'string';
      const response = await inject({
        method: method as never,
        url,
        headers: withToken({ ...(body !== undefined && !isRaw ? { 'content-type': 'application/fhir+json' } : {}), ...headers }) as InjectOptions['headers'],
        payload: body === undefined ? undefined : isRaw ? (body as Buffer | string) : JSON.stringify(body),
      });
      const raw = response.rawPayload;
      let parsed: unknown;
      const type = String(response.headers['content-type'] ?? '');
      if (type.includes('json') && raw.length > 0) parsed = JSON.parse(raw.toString('utf8'));
      return { status: response.statusCode, headers: response.headers, body: parsed, raw };
    },
    async serviceToken(scope) {
      const { client, secret } = await createClient(db.sql, { name: 'test service', scope });
      return tokenFor(client.clientId, secret as string);
    },
  };
}

export function patient(overrides: Partial<Resource> & Record<string, unknown> = {}): Resource {
  return {
    resourceType: 'Patient',
    name: [{ family: 'Santoso', given: ['Budi'] }],
    gender: 'male',
    birthDate: '1980-04-01',
    ...overrides,
  } as Resource;
}
