import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import pino from 'pino';
import { buildHub, type Hub, type HubOptions } from '../../src/http/build-hub.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export const TEST_BASE_URL = 'http://hub.test/';

export interface TestHub extends Hub {
  db: TestDatabase;
  storageDir: string;
  close(): Promise<void>;
  /** JSON request through app.inject; returns status, headers and parsed body. */
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  raw: Buffer;
}

/** A hub on a fresh database and a fresh blob directory, built but not listening. */
export async function createTestHub(overrides: Partial<HubOptions> = {}): Promise<TestHub> {
  const db = await createTestDatabase();
  const storageDir = await mkdtemp(join(tmpdir(), 'simpul-blobs-'));
  const hub = await buildHub({
    sql: db.sql,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    baseUrl: TEST_BASE_URL,
    storageDir,
    maxBodyBytes: 1024 * 1024,
    maxBinaryBytes: 4 * 1024 * 1024,
    maxQueryStringLength: 2048,
    ...overrides,
  });
  return {
    ...hub,
    db,
    storageDir,
    async close() {
      await hub.app.close();
      await db.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
    async request(method, url, body, headers = {}) {
      const isRaw = Buffer.isBuffer(body) || typeof body === 'string';
      const response = await hub.app.inject({
        method: method as never,
        url,
        headers: { ...(body !== undefined && !isRaw ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
        payload: body === undefined ? undefined : isRaw ? (body as Buffer | string) : JSON.stringify(body),
      });
      const raw = response.rawPayload;
      let parsed: unknown;
      const type = String(response.headers['content-type'] ?? '');
      if (type.includes('json') && raw.length > 0) parsed = JSON.parse(raw.toString('utf8'));
      return { status: response.statusCode, headers: response.headers, body: parsed, raw };
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
