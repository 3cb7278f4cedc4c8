import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSatusehatSandbox, type SatusehatSandbox } from '../create-sandbox.ts';
import { BUSINESS_RULE_TEXT } from '../outcomes.ts';
import { bearer, ORG_A, PATIENT_NIK, serviceRequest, tokenFor } from '../testing/sandbox-fixtures.ts';
import { FaultController, FaultSpecError, type FaultKind } from './fault-controller.ts';

let sandbox: SatusehatSandbox;
let token: string;

beforeEach(async () => {
  sandbox = await createSatusehatSandbox({ organizations: [ORG_A] });
  token = await tokenFor(sandbox);
});
afterEach(async () => {
  await sandbox.close();
});

const postServiceRequest = () =>
  sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/ServiceRequest', headers: bearer(token), payload: serviceRequest(ORG_A.id, 'ACC-F') });

describe('each fault kind fires exactly `times` times, then the route answers normally', () => {
  test.each<[FaultKind, number, (response: Awaited<ReturnType<typeof postServiceRequest>>) => void]>([
    [
      '5xx',
      504,
      (response) => {
        expect(response.headers['content-type']).toMatch(/^text\/plain/);
        expect(response.body).toBe('Gateway Timeout');
      },
    ],
    [
      '429',
      429,
      (response) => {
        expect(response.headers['retry-after']).toBe('7');
      },
    ],
    [
      'expired-token',
      401,
      (response) => {
        expect(response.json().issue[0].details.text).toBe('Access token expired');
      },
    ],
    [
      'business-rule',
      403,
      (response) => {
        expect(response.json()).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule', details: { text: BUSINESS_RULE_TEXT } }] });
      },
    ],
  ])('%s', async (kind, status, check) => {
    sandbox.faults.inject({ route: 'POST /fhir-r4/v1/ServiceRequest', kind, times: 2, retryAfterSeconds: 7 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const response = await postServiceRequest();
      expect(response.statusCode, `attempt ${attempt}`).toBe(status);
      check(response);
    }
    expect(sandbox.faults.active()).toEqual([]);
    expect((await postServiceRequest()).statusCode).toBe(201);
    expect(sandbox.store.resources('ServiceRequest')).toHaveLength(1);
    expect(sandbox.store.requests().map((r) => [r.status, r.fault])).toEqual([
      [200, undefined],
      [status, kind],
      [status, kind],
      [201, undefined],
    ]);
  });

  test('slow: waits delayMs, then answers normally (and stores), twice', async () => {
    sandbox.faults.inject({ route: 'POST /fhir-r4/v1/ServiceRequest', kind: 'slow', times: 2, delayMs: 300 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const started = performance.now();
      const response = await postServiceRequest();
      expect(response.statusCode).toBe(201);
      expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    }
    const started = performance.now();
    expect((await postServiceRequest()).statusCode).toBe(201);
    expect(performance.now() - started).toBeLessThan(250);
    expect(sandbox.store.requests().filter((r) => r.fault === 'slow')).toHaveLength(2);
  });

  test('a 5xx status other than 504 carries its own reason phrase', async () => {
    sandbox.faults.inject({ route: '/fhir-r4/v1/*', kind: '5xx', status: 503 });
    const response = await postServiceRequest();
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('Service Unavailable');
  });

  test('the token endpoint can fail too', async () => {
    sandbox.faults.inject({ route: 'POST /oauth2/v1/accesstoken', kind: '5xx' });
    await expect(tokenFor(sandbox)).rejects.toThrow(/504 Gateway Timeout/);
    await expect(tokenFor(sandbox)).resolves.toMatch(/^[A-Za-z0-9]{28}$/);
  });
});

describe('route patterns', () => {
  test('the method must match, the path must match whole, the query is ignored', async () => {
    sandbox.faults.inject({ route: 'POST /fhir-r4/v1/ServiceRequest', kind: '5xx' });
    const get = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/ServiceRequest?identifier=x|y', headers: bearer(token) });
    expect(get.statusCode).toBe(200);
    const put = await sandbox.app.inject({ method: 'PUT', url: '/fhir-r4/v1/ServiceRequest/abc', headers: bearer(token), payload: {} });
    expect(put.statusCode).not.toBe(504);
    expect(sandbox.faults.active()[0].remaining).toBe(1);
  });

  test('* matches any run of characters and a route without a method matches every method', async () => {
    sandbox.faults.inject({ route: '/fhir-r4/v1/Patient*', kind: '429', times: 2 });
    const search = await sandbox.app.inject({ method: 'GET', url: `/fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik|${PATIENT_NIK}`, headers: bearer(token) });
    const read = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/Patient/P02478375538', headers: bearer(token) });
    expect([search.statusCode, read.statusCode]).toEqual([429, 429]);
  });

  test('faults fire in the order they were injected', async () => {
    sandbox.faults.inject({ route: '* /fhir-r4/v1/*', kind: '429' });
    sandbox.faults.inject({ route: 'POST /fhir-r4/v1/ServiceRequest', kind: '5xx' });
    expect((await postServiceRequest()).statusCode).toBe(429);
    expect((await postServiceRequest()).statusCode).toBe(504);
    expect((await postServiceRequest()).statusCode).toBe(201);
  });

  test('the control API is never faulted', async () => {
    sandbox.faults.inject({ route: '/*', kind: '5xx', times: 5 });
    const response = await sandbox.app.inject({ method: 'GET', url: '/_sandbox/faults' });
    expect(response.statusCode).toBe(200);
    expect(response.json().faults[0].remaining).toBe(5);
  });

  test('clear() and remove() disarm faults', async () => {
    const first = sandbox.faults.inject({ route: '/x', kind: '5xx' });
    sandbox.faults.inject({ route: '/y', kind: '5xx' });
    expect(sandbox.faults.remove(first.id)).toBe(true);
    expect(sandbox.faults.remove(first.id)).toBe(false);
    expect(sandbox.faults.active().map((f) => f.route)).toEqual(['/y']);
    sandbox.faults.clear();
    expect(sandbox.faults.active()).toEqual([]);
  });
});

describe('FaultController.inject validation', () => {
  const faults = new FaultController(() => undefined);
  test.each([
    ['an unknown kind', { route: '/x', kind: 'explode' }],
    ['times 0', { route: '/x', kind: '5xx', times: 0 }],
    ['a route without a leading slash', { route: 'POST fhir', kind: '5xx' }],
    ['a 5xx status that is not 5xx', { route: '/x', kind: '5xx', status: 404 }],
    ['an unknown field', { route: '/x', kind: '5xx', forever: true }],
  ])('refuses %s', (_name, spec) => {
    expect(() => faults.inject(spec as never)).toThrow(FaultSpecError);
    expect(faults.active()).toEqual([]);
  });

  test('fills the defaults', () => {
    expect(faults.inject({ route: '/x', kind: '429' })).toMatchObject({ route: '/x', kind: '429', remaining: 1, fired: 0, retryAfterSeconds: 1, delayMs: 2000, status: 504 });
  });
});
