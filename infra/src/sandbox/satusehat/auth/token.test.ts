import { afterEach, describe, expect, test } from 'vitest';
import { createSatusehatSandbox, type SatusehatSandbox, type SatusehatSandboxOptions } from '../create-sandbox.ts';
import { INVALID_CREDENTIALS_TEXT } from '../outcomes.ts';
import { bearer, FakeClock, ORG_A, ORG_B, PATIENT_NIK, tokenFor } from '../testing/sandbox-fixtures.ts';

const TOKEN_URL = '/oauth2/v1/accesstoken?grant_type=client_credentials';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PATIENT_SEARCH = `/fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik|${PATIENT_NIK}`;

let sandbox: SatusehatSandbox;
afterEach(async () => {
  await sandbox.close();
});

async function start(options: SatusehatSandboxOptions = {}): Promise<SatusehatSandbox> {
  sandbox = await createSatusehatSandbox({ organizations: [ORG_A, ORG_B], ...options });
  return sandbox;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

describe('POST /oauth2/v1/accesstoken', () => {
  test('good form credentials get the documented body, every value a string', async () => {
    const clock = new FakeClock();
    await start({ now: clock.now, tokenTtlSeconds: 3599 });
    const response = await sandbox.app.inject({ method: 'POST', url: TOKEN_URL, headers: FORM, payload: form({ client_id: 'client-a', client_secret: 'secret-a' }) });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json();
    expect(Object.keys(body)).toEqual([
      'refresh_token_expires_in',
      'api_product_list',
      'api_product_list_json',
      'organization_name',
      'developer.email',
      'token_type',
      'issued_at',
      'client_id',
      'access_token',
      'application_name',
      'scope',
      'expires_in',
      'refresh_count',
      'status',
    ]);
    expect(body).toMatchObject({
      refresh_token_expires_in: '0',
      api_product_list: '[api-satusehat-stg]',
      api_product_list_json: ['api-satusehat-stg'],
      organization_name: 'ihs-prod-1',
      token_type: 'BearerToken',
      issued_at: String(clock.time),
      client_id: 'client-a',
      scope: '',
      expires_in: '3599',
      refresh_count: '0',
      status: 'approved',
    });
    expect(body.access_token).toMatch(/^[A-Za-z0-9]{28}$/);
    expect(body.application_name).toMatch(/^[0-9a-f-]{36}$/);
    for (const [key, value] of Object.entries(body)) {
      if (key !== 'api_product_list_json') expect(typeof value, key).toBe('string');
    }
  });

  test('expires_in follows the configured lifetime, and each request gets a new token', async () => {
    await start({ tokenTtlSeconds: 2 });
    const first = await sandbox.app.inject({ method: 'POST', url: TOKEN_URL, headers: FORM, payload: form({ client_id: 'client-b', client_secret: 'secret-b' }) });
    const second = await sandbox.app.inject({ method: 'POST', url: TOKEN_URL, headers: FORM, payload: form({ client_id: 'client-b', client_secret: 'secret-b' }) });
    expect(first.json().expires_in).toBe('2');
    expect(first.json().client_id).toBe('client-b');
    expect(second.json().access_token).not.toBe(first.json().access_token);
    expect(second.json().application_name).toBe(first.json().application_name);
  });

  test.each([
    ['a wrong secret', form({ client_id: 'client-a', client_secret: 'nope' })],
    ['an unknown client', form({ client_id: 'who', client_secret: 'secret-a' })],
    ["another client's secret", form({ client_id: 'client-a', client_secret: 'secret-b' })],
    ['no fields at all', ''],
  ])('%s gets 401 with the documented OperationOutcome (severity "invalid")', async (_name, payload) => {
    await start();
    const response = await sandbox.app.inject({ method: 'POST', url: TOKEN_URL, headers: FORM, payload });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'invalid', code: 'value', details: { text: INVALID_CREDENTIALS_TEXT } }],
    });
    expect(INVALID_CREDENTIALS_TEXT).toBe(
      'The user or system was not able to be authenticated (either client_id or client_secret combination is unacceptable)',
    );
  });

  test('Basic auth instead of form fields is refused like bad credentials', async () => {
    await start();
    const response = await sandbox.app.inject({
      method: 'POST',
      url: TOKEN_URL,
      headers: { ...FORM, authorization: `Basic ${Buffer.from('client-a:secret-a').toString('base64')}` },
      payload: '',
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().issue[0].severity).toBe('invalid');
  });

  test('credentials as JSON are not read: 401, not 415', async () => {
    await start();
    const response = await sandbox.app.inject({ method: 'POST', url: TOKEN_URL, payload: { client_id: 'client-a', client_secret: 'secret-a' } });
    expect(response.statusCode).toBe(401);
    expect(response.json().issue[0].details.text).toBe(INVALID_CREDENTIALS_TEXT);
  });

  test('grant_type must be in the query, and must be client_credentials', async () => {
    await start();
    const inBody = await sandbox.app.inject({
      method: 'POST',
      url: '/oauth2/v1/accesstoken',
      headers: FORM,
      payload: form({ grant_type: 'client_credentials', client_id: 'client-a', client_secret: 'secret-a' }),
    });
    expect(inBody.statusCode).toBe(400);
    expect(inBody.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'value', expression: ['grant_type'] }] });

    const wrongGrant = await sandbox.app.inject({
      method: 'POST',
      url: '/oauth2/v1/accesstoken?grant_type=password',
      headers: FORM,
      payload: form({ client_id: 'client-a', client_secret: 'secret-a' }),
    });
    expect(wrongGrant.statusCode).toBe(400);
    expect(wrongGrant.json().issue[0].details.text).toContain('password');
  });

  test('the bad-credentials status is configurable', async () => {
    await start({ behaviour: { badCredentialsStatus: 400 } });
    const response = await sandbox.app.inject({ method: 'POST', url: TOKEN_URL, headers: FORM, payload: form({ client_id: 'x', client_secret: 'y' }) });
    expect(response.statusCode).toBe(400);
    expect(response.json().issue[0].severity).toBe('invalid');
  });

  test('the request log keeps the form but masks the secret', async () => {
    await start();
    await tokenFor(sandbox);
    const [logged] = sandbox.store.requests();
    expect(logged).toMatchObject({ method: 'POST', path: '/oauth2/v1/accesstoken', status: 200, body: { client_id: 'client-a', client_secret: '***' } });
    expect(JSON.stringify(sandbox.store.requests())).not.toContain('secret-a');
  });
});

describe('bearer tokens on /fhir-r4/v1 and /dicom/v1', () => {
  test('a fresh token is accepted', async () => {
    await start();
    const token = await tokenFor(sandbox);
    const response = await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers: bearer(token) });
    expect(response.statusCode).toBe(200);
  });

  test.each([
    ['no Authorization header', undefined, 'Invalid access token: no bearer token in the Authorization header'],
    ['an unknown token', 'Bearer notatokenweissued', 'Invalid access token'],
    ['a Basic header', `Basic ${Buffer.from('client-a:secret-a').toString('base64')}`, 'Invalid access token: no bearer token in the Authorization header'],
  ])('%s gets 401 on FHIR and DICOM paths', async (_name, authorization, text) => {
    await start();
    const headers = authorization === undefined ? {} : { authorization };
    const fhir = await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers });
    const dicom = await sandbox.app.inject({
      method: 'POST',
      url: '/dicom/v1/dicomWeb/studies',
      headers: { ...headers, 'content-type': 'application/dicom' },
      payload: Buffer.from('whatever'),
    });
    for (const response of [fhir, dicom]) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', details: { text } }] });
    }
  });

  test('a token stops working after the configured lifetime', async () => {
    const clock = new FakeClock();
    await start({ now: clock.now, tokenTtlSeconds: 2 });
    const token = await tokenFor(sandbox);
    clock.advance(1999);
    expect((await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers: bearer(token) })).statusCode).toBe(200);
    clock.advance(1);
    const expired = await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers: bearer(token) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().issue[0].details.text).toBe('Access token expired');

    const renewed = await tokenFor(sandbox);
    expect((await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers: bearer(renewed) })).statusCode).toBe(200);
  });

  test('faults.expireAllTokens() expires every token issued so far, not later ones', async () => {
    await start();
    const a = await tokenFor(sandbox, ORG_A);
    const b = await tokenFor(sandbox, ORG_B);
    sandbox.faults.expireAllTokens();
    for (const token of [a, b]) {
      const response = await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers: bearer(token) });
      expect(response.statusCode).toBe(401);
      expect(response.json().issue[0].details.text).toBe('Access token expired');
    }
    const fresh = await tokenFor(sandbox);
    expect((await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers: bearer(fresh) })).statusCode).toBe(200);
  });

  test('the rejection body can be the Apigee fault instead', async () => {
    const clock = new FakeClock();
    await start({ now: clock.now, tokenTtlSeconds: 1, behaviour: { tokenRejectionBody: 'apigee-fault' } });
    const token = await tokenFor(sandbox);
    clock.advance(1000);
    const response = await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers: bearer(token) });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      fault: { faultstring: 'Access token expired', detail: { errorcode: 'keymanagement.service.access_token_expired' } },
    });
  });

  test('the request log masks the bearer token', async () => {
    await start();
    const token = await tokenFor(sandbox);
    await sandbox.app.inject({ method: 'GET', url: PATIENT_SEARCH, headers: bearer(token) });
    const search = sandbox.store.requests().find((r) => r.path === '/fhir-r4/v1/Patient');
    expect(search?.headers.authorization).toBe('Bearer ***');
    expect(JSON.stringify(sandbox.store.requests())).not.toContain(token);
  });
});
