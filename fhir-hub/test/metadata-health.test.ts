import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, type TestHub } from './support/test-hub.ts';

describe('metadata and health', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  test('CapabilityStatement lists the R4 types with their interactions and search parameters', async () => {
    const res = await hub.request('GET', '/fhir/R4/metadata');
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    const rest = res.body.rest[0];
    const patient = rest.resource.find((r: any) => r.type === 'Patient');
    expect(patient.interaction.map((i: any) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'update', 'patch', 'delete', 'create', 'search-type', 'history-instance', 'history-type']));
    expect(patient.searchParam.map((p: any) => p.name)).toEqual(expect.arrayContaining(['identifier', 'name', 'birthdate']));
    expect(rest.interaction.map((i: any) => i.code)).toEqual(expect.arrayContaining(['transaction', 'batch', 'history-system']));
    expect(rest.resource.length).toBeGreaterThan(140);
  });

  test('healthz answers 200; readyz checks the database and blob store', async () => {
    expect((await hub.request('GET', '/healthz')).status).toBe(200);
    const ready = await hub.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database.ok).toBe(true);
    expect(ready.body.checks['blob-store'].ok).toBe(true);
  });

  test('every response carries a trace id, and a given one is echoed', async () => {
    const res = await hub.request('GET', '/healthz', undefined, { 'x-trace-id': 'trace-abc-12345' });
    expect(res.headers['x-trace-id']).toBe('trace-abc-12345');
    const generated = await hub.request('GET', '/healthz');
    expect(String(generated.headers['x-trace-id'])).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('readiness reflects a dead database', () => {
  test('readyz is 503 naming the database when PostgreSQL is unreachable', async () => {
    const hub = await createTestHub();
    await hub.db.sql.end({ timeout: 1 });
    const ready = await hub.request('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database.ok).toBe(false);
    await hub.app.close();
    await hub.db.drop().catch(() => undefined);
  });
});

describe('metrics', () => {
  test('/metrics reports HTTP latency by route, FHIR interactions and the outbox backlog', async () => {
    const hub = await createTestHub();
    try {
      await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient', name: [{ family: 'Metrik' }] });
      await hub.request('GET', '/fhir/R4/Patient/missing-one');
      const res = await hub.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      const sample = (name: string, labels: Record<string, string>): number | undefined => {
        const line = res.body.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
        return line ? Number(line.split(' ').at(-1)) : undefined;
      };
      expect(sample('simpul_http_request_duration_seconds_count', { method: 'POST', route: '/fhir/R4/*', status: '201' })).toBe(1);
      expect(sample('simpul_fhir_interactions_total', { interaction: 'create', resource_type: 'Patient', outcome: 'ok' })).toBe(1);
      expect(sample('simpul_fhir_interactions_total', { interaction: 'read', resource_type: 'Patient', outcome: 'client-error' })).toBe(1);
      expect(sample('simpul_outbox_unsent', {})).toBeGreaterThan(0);
    } finally {
      await hub.close();
    }
  });
});
