import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSatusehatSandbox, type SatusehatSandbox } from '../create-sandbox.ts';
import { BUSINESS_RULE_TEXT } from '../outcomes.ts';
import { bearer, created, encounter, FakeClock, ORG_A, ORG_B, serviceRequest, tokenFor } from '../testing/sandbox-fixtures.ts';

let sandbox: SatusehatSandbox;
let clock: FakeClock;
let tokenA: string;
let tokenB: string;

beforeEach(async () => {
  clock = new FakeClock();
  sandbox = await createSatusehatSandbox({ organizations: [ORG_A, ORG_B], now: clock.now });
  tokenA = await tokenFor(sandbox, ORG_A);
  tokenB = await tokenFor(sandbox, ORG_B);
});
afterEach(async () => {
  await sandbox.close();
});

const acsnSearch = (org: string, acsn: string, bar = '|'): string =>
  `/fhir-r4/v1/ServiceRequest?identifier=http://sys-ids.kemkes.go.id/acsn/${org}${bar}${acsn}&_sort=-_lastUpdated&_count=1`;

describe('create, read, update', () => {
  test('POST answers 201 with the full resource, a new id, an opaque base64 versionId and lastUpdated', async () => {
    const payload = serviceRequest(ORG_A.id, 'ACC-1');
    const response = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/ServiceRequest', headers: bearer(tokenA), payload });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ ...payload, meta: { lastUpdated: new Date(clock.time).toISOString().replace('Z', '+00:00') } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.meta.versionId).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(body.meta.versionId, 'base64').toString('base64')).toBe(body.meta.versionId);
    expect(response.headers.location).toBe(`http://localhost:80/fhir-r4/v1/ServiceRequest/${body.id}/_history/${body.meta.versionId}`);

    const read = await sandbox.app.inject({ method: 'GET', url: `/fhir-r4/v1/ServiceRequest/${body.id}`, headers: bearer(tokenA) });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
    expect(sandbox.store.resources('ServiceRequest')).toEqual([body]);
  });

  test.each(['ImagingStudy', 'Encounter', 'Observation', 'DiagnosticReport', 'Location'])('%s can be created', async (type) => {
    // ImagingStudy has its own rules (imaging-study.test.ts); an empty one is refused with 400, never 404.
    const response = await sandbox.app.inject({ method: 'POST', url: `/fhir-r4/v1/${type}`, headers: bearer(tokenA), payload: { resourceType: type, status: 'final' } });
    expect(response.statusCode).toBe(type === 'ImagingStudy' ? 400 : 201);
  });

  test('PUT replaces, answers 200 with a new versionId; the id in the body must match the URL', async () => {
    const first = await created(sandbox, tokenA, serviceRequest(ORG_A.id, 'ACC-2'));
    clock.advance(1000);
    const changed = { ...first, status: 'revoked' };
    const response = await sandbox.app.inject({ method: 'PUT', url: `/fhir-r4/v1/ServiceRequest/${first.id}`, headers: bearer(tokenA), payload: changed });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('revoked');
    expect(body.id).toBe(first.id);
    expect(body.meta.versionId).not.toBe((first.meta as { versionId: string }).versionId);
    expect(body.meta.lastUpdated).toBe(new Date(clock.time).toISOString().replace('Z', '+00:00'));

    const mismatch = await sandbox.app.inject({ method: 'PUT', url: `/fhir-r4/v1/ServiceRequest/${first.id}`, headers: bearer(tokenA), payload: { ...changed, id: 'other' } });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().issue[0]).toMatchObject({ code: 'value', expression: ['ServiceRequest.id'] });
  });

  test('PUT of an id that does not exist is 404 and creates nothing', async () => {
    const response = await sandbox.app.inject({ method: 'PUT', url: '/fhir-r4/v1/ServiceRequest/nope', headers: bearer(tokenA), payload: serviceRequest(ORG_A.id, 'ACC-3') });
    expect(response.statusCode).toBe(404);
    expect(sandbox.store.resources('ServiceRequest')).toEqual([]);
  });

  test.each([
    ['a body of the wrong type', { resourceType: 'Encounter' }, 'value'],
    ['an array', [{ resourceType: 'ServiceRequest' }], 'structure'],
  ])('POST with %s is 400', async (_name, payload, code) => {
    const response = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/ServiceRequest', headers: bearer(tokenA), payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().issue[0].code).toBe(code);
  });

  test('JSON that does not parse is a 400 OperationOutcome, and so is application/fhir+json', async () => {
    for (const contentType of ['application/json', 'application/fhir+json']) {
      const response = await sandbox.app.inject({
        method: 'POST',
        url: '/fhir-r4/v1/ServiceRequest',
        headers: { ...bearer(tokenA), 'content-type': contentType },
        payload: '{"resourceType": "ServiceRequest",',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().resourceType).toBe('OperationOutcome');
    }
    const fhirJson = await sandbox.app.inject({
      method: 'POST',
      url: '/fhir-r4/v1/ServiceRequest',
      headers: { ...bearer(tokenA), 'content-type': 'application/fhir+json' },
      payload: JSON.stringify(serviceRequest(ORG_A.id, 'ACC-4')),
    });
    expect(fhirJson.statusCode).toBe(201);
  });

  test('a __proto__ key is refused rather than polluting anything', async () => {
    const response = await sandbox.app.inject({
      method: 'POST',
      url: '/fhir-r4/v1/Observation',
      headers: { ...bearer(tokenA), 'content-type': 'application/json' },
      payload: '{"resourceType":"Observation","__proto__":{"polluted":true}}',
    });
    expect(response.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('search by accession number', () => {
  test('| and %7C find the same ServiceRequest; _sort and _count are accepted and ignored; newest first', async () => {
    const older = await created(sandbox, tokenA, serviceRequest(ORG_A.id, 'ACC-9'));
    clock.advance(10);
    const newer = await created(sandbox, tokenA, { ...serviceRequest(ORG_A.id, 'ACC-9'), priority: 'urgent' });
    await created(sandbox, tokenA, serviceRequest(ORG_A.id, 'ACC-10'));

    for (const bar of ['|', '%7C', '%7c']) {
      const response = await sandbox.app.inject({ method: 'GET', url: acsnSearch(ORG_A.id, 'ACC-9', bar), headers: bearer(tokenA) });
      expect(response.statusCode).toBe(200);
      const bundle = response.json();
      expect(bundle.total).toBe(2);
      expect(bundle.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([newer.id, older.id]);
    }
  });

  test('the accession of another organisation is another identifier', async () => {
    await created(sandbox, tokenA, serviceRequest(ORG_A.id, 'ACC-11'));
    const response = await sandbox.app.inject({ method: 'GET', url: acsnSearch(ORG_B.id, 'ACC-11'), headers: bearer(tokenB) });
    expect(response.json()).toMatchObject({ total: 0 });
    expect(response.json()).not.toHaveProperty('entry');
  });

  test('a search without identifier is refused', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/ServiceRequest?_count=1', headers: bearer(tokenA) });
    expect(response.statusCode).toBe(400);
  });
});

describe('PATCH (replace only)', () => {
  test('replace ops change the resource and make a new version', async () => {
    const sr = await created(sandbox, tokenA, serviceRequest(ORG_A.id, 'ACC-20'));
    const response = await sandbox.app.inject({
      method: 'PATCH',
      url: `/fhir-r4/v1/ServiceRequest/${sr.id}`,
      headers: { ...bearer(tokenA), 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([
        { op: 'replace', path: '/status', value: 'completed' },
        { op: 'replace', path: '/code/coding/0/display', value: 'Chest X-ray' },
      ]),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: sr.id, status: 'completed', code: { coding: [{ code: '24648-8', display: 'Chest X-ray' }] } });
    expect(response.json().meta.versionId).not.toBe((sr.meta as { versionId: string }).versionId);
  });

  test.each([
    ['an add op', [{ op: 'add', path: '/note', value: [] }], 'not-supported'],
    ['a remove op', [{ op: 'remove', path: '/status' }], 'not-supported'],
    ['a replace of a path that does not exist', [{ op: 'replace', path: '/note', value: [] }], 'value'],
    ['an index past the end', [{ op: 'replace', path: '/identifier/5/value', value: 'x' }], 'value'],
    ['a replace of id', [{ op: 'replace', path: '/id', value: 'mine' }], 'value'],
    ['a replace without value', [{ op: 'replace', path: '/status' }], 'structure'],
    ['an object instead of a list', { op: 'replace', path: '/status', value: 'x' }, 'structure'],
    ['an empty list', [], 'structure'],
  ])('%s is 400 and changes nothing, even after a valid op', async (_name, ops, code) => {
    const sr = await created(sandbox, tokenA, serviceRequest(ORG_A.id, 'ACC-21'));
    const payload = Array.isArray(ops) && ops.length > 0 ? [{ op: 'replace', path: '/status', value: 'completed' }, ...ops] : ops;
    const response = await sandbox.app.inject({ method: 'PATCH', url: `/fhir-r4/v1/ServiceRequest/${sr.id}`, headers: bearer(tokenA), payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().issue[0].code).toBe(code);
    expect(sandbox.store.resources('ServiceRequest')[0]).toEqual(sr);
  });

  test('PATCH of a missing resource is 404', async () => {
    const response = await sandbox.app.inject({ method: 'PATCH', url: '/fhir-r4/v1/ServiceRequest/nope', headers: bearer(tokenA), payload: [{ op: 'replace', path: '/status', value: 'x' }] });
    expect(response.statusCode).toBe(404);
  });
});

describe('business rule: one client id, one organisation', () => {
  const forbidden = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule', details: { text: BUSINESS_RULE_TEXT } }] };

  test("creating with another organisation's identifier system is refused with the documented text", async () => {
    const response = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/ServiceRequest', headers: bearer(tokenB), payload: serviceRequest(ORG_A.id, 'ACC-30') });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual(forbidden);
    expect(BUSINESS_RULE_TEXT).toBe('resource cannot be accessed due to business rule');
    expect(sandbox.store.resources('ServiceRequest')).toEqual([]);
  });

  test("an Encounter whose serviceProvider is another organisation is refused", async () => {
    const payload = { ...encounter(ORG_B.id, 'E-1'), serviceProvider: { reference: `Organization/${ORG_A.id}` } };
    const response = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/Encounter', headers: bearer(tokenB), payload });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual(forbidden);
  });

  test("updating or patching another organisation's resource is refused and changes nothing", async () => {
    const sr = await created(sandbox, tokenA, serviceRequest(ORG_A.id, 'ACC-31'));
    const put = await sandbox.app.inject({ method: 'PUT', url: `/fhir-r4/v1/ServiceRequest/${sr.id}`, headers: bearer(tokenB), payload: serviceRequest(ORG_B.id, 'ACC-31') });
    const patch = await sandbox.app.inject({ method: 'PATCH', url: `/fhir-r4/v1/ServiceRequest/${sr.id}`, headers: bearer(tokenB), payload: [{ op: 'replace', path: '/status', value: 'revoked' }] });
    for (const response of [put, patch]) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual(forbidden);
    }
    expect(sandbox.store.resources('ServiceRequest')).toEqual([sr]);
  });

  test('reads are open by default and can be restricted', async () => {
    const sr = await created(sandbox, tokenA, serviceRequest(ORG_A.id, 'ACC-32'));
    expect((await sandbox.app.inject({ method: 'GET', url: `/fhir-r4/v1/ServiceRequest/${sr.id}`, headers: bearer(tokenB) })).statusCode).toBe(200);

    const strict = await createSatusehatSandbox({ organizations: [ORG_A, ORG_B], behaviour: { restrictReadsToOwnOrganization: true, businessRuleStatus: 401 } });
    try {
      const own = await created(strict, await tokenFor(strict, ORG_A), serviceRequest(ORG_A.id, 'ACC-32'));
      const other = bearer(await tokenFor(strict, ORG_B));
      const read = await strict.app.inject({ method: 'GET', url: `/fhir-r4/v1/ServiceRequest/${own.id}`, headers: other });
      expect(read.statusCode).toBe(401);
      expect(read.json()).toEqual(forbidden);
      const search = await strict.app.inject({ method: 'GET', url: acsnSearch(ORG_A.id, 'ACC-32'), headers: other });
      expect(search.json().total).toBe(0);
    } finally {
      await strict.close();
    }
  });
});

describe('dates and duplicates', () => {
  test('a date before 2014-06-03 is refused with its path; the day itself is accepted', async () => {
    const early = { ...serviceRequest(ORG_A.id, 'ACC-40'), occurrenceDateTime: '2014-06-02T23:00:00+00:00' };
    const response = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/ServiceRequest', headers: bearer(tokenA), payload: early });
    expect(response.statusCode).toBe(400);
    expect(response.json().issue).toEqual([
      {
        severity: 'error',
        code: 'value',
        details: { text: '2014-06-02T23:00:00+00:00 is before 2014-06-03, the earliest date SATUSEHAT accepts' },
        expression: ['ServiceRequest.occurrenceDateTime'],
      },
    ]);
    const nested = { ...encounter(ORG_A.id, 'E-40'), period: { start: '2010-01-01' } };
    const nestedResponse = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/Encounter', headers: bearer(tokenA), payload: nested });
    expect(nestedResponse.json().issue[0].expression).toEqual(['Encounter.period.start']);

    const onTheDay = { ...serviceRequest(ORG_A.id, 'ACC-41'), occurrenceDateTime: '2014-06-03' };
    expect((await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/ServiceRequest', headers: bearer(tokenA), payload: onTheDay })).statusCode).toBe(201);
  });

  test('an Encounter resent with the same values is a duplicate; with other values it is not', async () => {
    const first = await created(sandbox, tokenA, encounter(ORG_A.id, 'E-50'));
    // Same values, keys in another order.
    const { status, ...rest } = encounter(ORG_A.id, 'E-50');
    const again = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/Encounter', headers: bearer(tokenA), payload: { ...rest, status } });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'duplicate', details: { text: `Encounter already exists with the same values: Encounter/${first.id}` }, expression: ['Encounter'] }],
    });
    const other = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/Encounter', headers: bearer(tokenA), payload: { ...encounter(ORG_A.id, 'E-50'), status: 'finished' } });
    expect(other.statusCode).toBe(201);
    // An update to the same values is not a duplicate of itself.
    const put = await sandbox.app.inject({ method: 'PUT', url: `/fhir-r4/v1/Encounter/${first.id}`, headers: bearer(tokenA), payload: first });
    expect(put.statusCode).toBe(200);
  });
});
