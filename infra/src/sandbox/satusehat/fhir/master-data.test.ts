import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSatusehatSandbox, type SatusehatSandbox } from '../create-sandbox.ts';
import { bearer, ORG_A, PATIENT_IHS, PATIENT_NIK, tokenFor } from '../testing/sandbox-fixtures.ts';

let sandbox: SatusehatSandbox;
let headers: Record<string, string>;

beforeAll(async () => {
  sandbox = await createSatusehatSandbox({ organizations: [ORG_A], publicBaseUrl: 'https://api-satusehat-stg.dto.kemkes.go.id' });
  headers = bearer(await tokenFor(sandbox));
});
afterAll(async () => {
  await sandbox.close();
});

const BASE = 'https://api-satusehat-stg.dto.kemkes.go.id/fhir-r4/v1';

describe('Patient and Practitioner search by NIK', () => {
  test.each([
    ['a literal |', `/fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik|${PATIENT_NIK}`],
    ['%7C', `/fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik%7C${PATIENT_NIK}`],
    ['a fully encoded value', `/fhir-r4/v1/Patient?identifier=${encodeURIComponent(`https://fhir.kemkes.go.id/id/nik|${PATIENT_NIK}`)}`],
  ])('with %s the answer is the searchset Bundle of section 3', async (_name, url) => {
    const response = await sandbox.app.inject({ method: 'GET', url, headers });
    expect(response.statusCode).toBe(200);
    const bundle = response.json();
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(bundle.link).toEqual([{ relation: 'search', url: `https://api-satusehat-stg.dto.kemkes.go.id${url}` }]);
    expect(bundle.entry).toHaveLength(1);
    expect(bundle.entry[0].fullUrl).toBe(`${BASE}/Patient/${PATIENT_IHS}`);
    expect(bundle.entry[0].search).toEqual({ mode: 'match' });
    expect(bundle.entry[0].resource).toMatchObject({
      resourceType: 'Patient',
      id: PATIENT_IHS,
      identifier: [
        { system: 'https://fhir.kemkes.go.id/id/ihs-number', value: PATIENT_IHS },
        { system: 'https://fhir.kemkes.go.id/id/nik', value: PATIENT_NIK },
      ],
    });
  });

  test('no match: total 0 and no entry at all', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik|1111111111111111', headers });
    expect(response.statusCode).toBe(200);
    const bundle = response.json();
    expect(bundle.total).toBe(0);
    expect(bundle).not.toHaveProperty('entry');
    expect(bundle.type).toBe('searchset');
  });

  test('the NIK of a practitioner does not find a patient, and the other way round', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik|7209061211900001', headers });
    expect(response.json().total).toBe(0);
  });

  test('Practitioner search returns the practitioner with its IHS number as id', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/Practitioner?identifier=https://fhir.kemkes.go.id/id/nik%7C7209061211900001', headers });
    expect(response.json()).toMatchObject({ total: 1, entry: [{ fullUrl: `${BASE}/Practitioner/N10000001`, resource: { resourceType: 'Practitioner', id: 'N10000001' } }] });
  });

  test('a system that does not match finds nothing even with the right value', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: `/fhir-r4/v1/Patient?identifier=https://example.org/nik|${PATIENT_NIK}`, headers });
    expect(response.json().total).toBe(0);
  });

  test('a search parameter the sandbox does not implement is refused, not ignored', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/Patient?name=Ardianto', headers });
    expect(response.statusCode).toBe(400);
    expect(response.json().issue[0]).toMatchObject({ code: 'not-supported', expression: ['name'] });
  });

  test('seed() adds patients at run time', async () => {
    sandbox.seed({ patients: [{ ihsNumber: 'P09999999999', nik: '3201010101010001', name: 'Pasien Baru', gender: 'female' }] });
    const response = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik|3201010101010001', headers });
    expect(response.json().entry[0].resource.id).toBe('P09999999999');
  });
});

describe('reads', () => {
  test('GET /Organization/{id} returns the configured organisation', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: `/fhir-r4/v1/Organization/${ORG_A.id}`, headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ resourceType: 'Organization', id: ORG_A.id, name: ORG_A.name, active: true });
  });

  test('GET /Patient/{ihs} reads the patient', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: `/fhir-r4/v1/Patient/${PATIENT_IHS}`, headers });
    expect(response.json()).toMatchObject({ resourceType: 'Patient', id: PATIENT_IHS, gender: 'male', birthDate: '1992-01-09' });
  });

  test('an unknown id is a 404 OperationOutcome', async () => {
    const response = await sandbox.app.inject({ method: 'GET', url: '/fhir-r4/v1/Organization/999', headers });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  });

  test('master data cannot be written', async () => {
    const response = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/Patient', headers, payload: { resourceType: 'Patient' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().issue[0].code).toBe('not-supported');
  });

  test('links start with the Host the client used when no public base is configured', async () => {
    const local = await createSatusehatSandbox({ organizations: [ORG_A] });
    try {
      const token = await tokenFor(local);
      const response = await local.app.inject({
        method: 'GET',
        url: `/fhir-r4/v1/Patient?identifier=https://fhir.kemkes.go.id/id/nik|${PATIENT_NIK}`,
        headers: { ...bearer(token), host: 'sandbox.test:8190' },
      });
      expect(response.json().entry[0].fullUrl).toBe(`http://sandbox.test:8190/fhir-r4/v1/Patient/${PATIENT_IHS}`);
    } finally {
      await local.close();
    }
  });
});
