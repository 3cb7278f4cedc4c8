import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

const MRN = 'http://sys-ids.kemkes.go.id/mrn/10000004';

describe('conditional interactions', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  const withMrn = (value: string, extra: Record<string, unknown> = {}) =>
    patient({ identifier: [{ system: MRN, value }], ...extra });

  test('If-None-Exist creates once, then answers 200 with the existing resource', async () => {
    const first = await hub.request('POST', '/fhir/R4/Patient', withMrn('A1'), { 'if-none-exist': `identifier=${MRN}|A1` });
    expect(first.status).toBe(201);
    const second = await hub.request('POST', '/fhir/R4/Patient', withMrn('A1'), { 'if-none-exist': `identifier=${MRN}|A1` });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const all = (await hub.request('GET', `/fhir/R4/Patient?identifier=${encodeURIComponent(`${MRN}|A1`)}`)).body;
    expect(all.entry).toHaveLength(1);
  });

  test('concurrent conditional creates for one identifier make exactly one resource', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        hub.request('POST', '/fhir/R4/Patient', withMrn('RACE'), { 'if-none-exist': `identifier=${MRN}|RACE` }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
  });

  test('conditional update creates when none match, updates the one match, 412 on several', async () => {
    const url = `/fhir/R4/Patient?identifier=${encodeURIComponent(`${MRN}|B2`)}`;
    const created = await hub.request('PUT', url, withMrn('B2'));
    expect(created.status).toBe(201);
    const updated = await hub.request('PUT', url, withMrn('B2', { gender: 'female' }));
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.gender).toBe('female');

    await hub.request('POST', '/fhir/R4/Patient', withMrn('DUP'));
    await hub.request('POST', '/fhir/R4/Patient', withMrn('DUP'));
    const ambiguous = await hub.request('PUT', `/fhir/R4/Patient?identifier=${encodeURIComponent(`${MRN}|DUP`)}`, withMrn('DUP'));
    expect(ambiguous.status).toBe(412);
    const ambiguousCreate = await hub.request('POST', '/fhir/R4/Patient', withMrn('DUP'), { 'if-none-exist': `identifier=${MRN}|DUP` });
    expect(ambiguousCreate.status).toBe(412);
  });

  test('conditional delete and conditional patch', async () => {
    const target = (await hub.request('POST', '/fhir/R4/Patient', withMrn('C3'))).body;
    const patched = await hub.app.inject({
      method: 'PATCH',
      url: `/fhir/R4/Patient?identifier=${encodeURIComponent(`${MRN}|C3`)}`,
      headers: { 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([{ op: 'add', path: '/active', value: false }]),
    });
    expect(patched.statusCode).toBe(200);
    expect(JSON.parse(patched.body).active).toBe(false);
    const deleted = await hub.request('DELETE', `/fhir/R4/Patient?identifier=${encodeURIComponent(`${MRN}|C3`)}`);
    expect(deleted.status).toBe(200);
    expect((await hub.request('GET', `/fhir/R4/Patient/${target.id}`)).status).toBe(410);
  });
});
