import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

describe('concurrent writers', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  test('20 concurrent If-Match updates of one version: 1 winner, 19 clean 412s', async () => {
    const v1 = (await hub.request('POST', '/fhir/R4/Patient', patient())).body;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        hub.request('PUT', `/fhir/R4/Patient/${v1.id}`, { ...v1, name: [{ family: `Writer${i}` }] }, { 'if-match': `W/"${v1.meta.versionId}"` }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
    for (const refused of results.filter((r) => r.status === 412)) {
      expect(refused.body.resourceType).toBe('OperationOutcome');
    }
    const history = (await hub.request('GET', `/fhir/R4/Patient/${v1.id}/_history`)).body;
    expect(history.total).toBe(2);
  });

  test('a chain of If-Match writers: each version has exactly one winner and history shows every version', async () => {
    let current = (await hub.request('POST', '/fhir/R4/Patient', patient())).body;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          hub.request('PUT', `/fhir/R4/Patient/${current.id}`, { ...current, meta: undefined, name: [{ family: `R${round}W${i}` }] }, {
            'if-match': `W/"${current.meta.versionId}"`,
          }),
        ),
      );
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.status === 412)).toHaveLength(19);
      current = winners[0].body;
    }
    const history = (await hub.request('GET', `/fhir/R4/Patient/${current.id}/_history`)).body;
    expect(history.total).toBe(6);
    expect(new Set(history.entry.map((e: any) => e.resource.meta.versionId)).size).toBe(6);
  });

  test('concurrent patches without If-Match never lose an update', async () => {
    const v1 = (await hub.request('POST', '/fhir/R4/Patient', patient({ identifier: [{ system: 'urn:test', value: 'seed' }] }))).body;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        hub.app.inject({
          method: 'PATCH',
          url: `/fhir/R4/Patient/${v1.id}`,
          headers: { 'content-type': 'application/json-patch+json' },
          payload: JSON.stringify([{ op: 'add', path: '/identifier/-', value: { system: 'urn:test', value: `v${i}` } }]),
        }),
      ),
    );
    const final = (await hub.request('GET', `/fhir/R4/Patient/${v1.id}`)).body;
    expect(final.identifier.map((id: any) => id.value).sort()).toEqual(['seed', ...Array.from({ length: 20 }, (_, i) => `v${i}`)].sort());
  });
});
