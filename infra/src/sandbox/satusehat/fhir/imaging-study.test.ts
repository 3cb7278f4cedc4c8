import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSatusehatSandbox, type SatusehatSandbox, type SatusehatSandboxOptions } from '../create-sandbox.ts';
import { bearer, created, imagingStudy, ORG_A, ORG_B, serviceRequest, tokenFor } from '../testing/sandbox-fixtures.ts';
import type { FhirJson } from './fhir-json.ts';

const STUDY_UID = '1.2.826.0.1.3680043.8.498.1';

let sandbox: SatusehatSandbox;
let token: string;
let serviceRequestId: string;

async function start(options: SatusehatSandboxOptions = {}): Promise<void> {
  sandbox = await createSatusehatSandbox({ organizations: [ORG_A, ORG_B], ...options });
  token = await tokenFor(sandbox, ORG_A);
  serviceRequestId = (await created(sandbox, token, serviceRequest(ORG_A.id, 'ACC-1'))).id as string;
}

beforeEach(async () => {
  await start();
});
afterEach(async () => {
  await sandbox.close();
});

function study(overrides: Partial<Parameters<typeof imagingStudy>[0]> = {}): FhirJson {
  return imagingStudy({ orgId: ORG_A.id, accession: 'ACC-1', studyUid: STUDY_UID, serviceRequestId, ...overrides });
}

async function post(resource: unknown) {
  return sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/ImagingStudy', headers: bearer(token), payload: resource as object });
}

/** A deep copy of the router payload with `edit` applied. */
function edited(edit: (s: any) => void): FhirJson {
  const copy = structuredClone(study());
  edit(copy);
  return copy;
}

describe('ImagingStudy as the router sends it', () => {
  test('is created (201) and found by accession with | and %7C', async () => {
    const response = await post(study());
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ resourceType: 'ImagingStudy', id: expect.any(String), meta: { versionId: expect.any(String) } });
    for (const bar of ['|', '%7C']) {
      const search = await sandbox.app.inject({
        method: 'GET',
        url: `/fhir-r4/v1/ImagingStudy?identifier=http://sys-ids.kemkes.go.id/acsn/${ORG_A.id}${bar}ACC-1`,
        headers: bearer(token),
      });
      expect(search.json()).toMatchObject({ total: 1, entry: [{ resource: { id: body.id } }] });
    }
  });

  test('PUT of the same study (what the router does when it found one) is not a duplicate', async () => {
    const first = (await post(study())).json();
    const response = await sandbox.app.inject({ method: 'PUT', url: `/fhir-r4/v1/ImagingStudy/${first.id}`, headers: bearer(token), payload: { ...study(), id: first.id } });
    expect(response.statusCode).toBe(200);
  });
});

describe('ImagingStudy validation', () => {
  test.each([
    ['no basedOn', (s: any) => delete s.basedOn, 'value', 'ImagingStudy.basedOn'],
    ['an empty basedOn', (s: any) => (s.basedOn = []), 'value', 'ImagingStudy.basedOn'],
    ['no subject', (s: any) => delete s.subject, 'value', 'ImagingStudy.subject'],
    ['no series uid', (s: any) => delete s.series[0].uid, 'value', 'ImagingStudy.series[0].uid'],
    ['no instance uid', (s: any) => delete s.series[0].instance[0].uid, 'value', 'ImagingStudy.series[0].instance[0].uid'],
    ['no sopClass', (s: any) => delete s.series[0].instance[0].sopClass, 'value', 'ImagingStudy.series[0].instance[0].sopClass'],
    ['no series', (s: any) => delete s.series, 'value', 'ImagingStudy.series'],
    ['a series without instances', (s: any) => (s.series[0].instance = []), 'value', 'ImagingStudy.series[0].instance'],
    ['no series modality', (s: any) => delete s.series[0].modality, 'value', 'ImagingStudy.series[0].modality'],
    ['no modality', (s: any) => delete s.modality, 'value', 'ImagingStudy.modality'],
    ['no identifier', (s: any) => delete s.identifier, 'value', 'ImagingStudy.identifier'],
    ['no status', (s: any) => delete s.status, 'value', 'ImagingStudy.status'],
    ['a series uid with letters', (s: any) => (s.series[0].uid = '1.2.abc'), 'format', 'ImagingStudy.series[0].uid'],
    ['an instance uid of 65 characters', (s: any) => (s.series[0].instance[0].uid = `1.${'2'.repeat(63)}`), 'format', 'ImagingStudy.series[0].instance[0].uid'],
    ['a sopClass code without urn:oid:', (s: any) => (s.series[0].instance[0].sopClass.code = '1.2.840.10008.5.1.4.1.1.1.1'), 'format', 'ImagingStudy.series[0].instance[0].sopClass.code'],
    ['a subject that is not a Patient', (s: any) => (s.subject = { reference: 'Practitioner/N10000001' }), 'format', 'ImagingStudy.subject.reference'],
    ['a subject by identifier only', (s: any) => (s.subject = { identifier: { value: 'P02478375538' } }), 'format', 'ImagingStudy.subject.reference'],
    ['an unknown Patient', (s: any) => (s.subject = { reference: 'Patient/P00000000000' }), 'value', 'ImagingStudy.subject.reference'],
    ['basedOn an Encounter', (s: any) => (s.basedOn = [{ reference: 'Encounter/x' }]), 'format', 'ImagingStudy.basedOn[0].reference'],
    ['basedOn a ServiceRequest that does not exist', (s: any) => (s.basedOn = [{ reference: 'ServiceRequest/missing' }]), 'value', 'ImagingStudy.basedOn[0].reference'],
    ['a start before 2014-06-03', (s: any) => (s.started = '2013-12-31T10:00:00+07:00'), 'value', 'ImagingStudy.started'],
  ])('%s is a 400 OperationOutcome naming the element', async (_name, edit, code, expression) => {
    const response = await post(edited(edit));
    expect(response.statusCode).toBe(400);
    const outcome = response.json();
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue).toContainEqual({ severity: 'error', code, details: { text: expect.any(String) }, expression: [expression] });
    expect(sandbox.store.resources('ImagingStudy')).toEqual([]);
  });

  test('every problem is reported at once', async () => {
    const response = await post(
      edited((s) => {
        delete s.subject;
        delete s.basedOn;
        delete s.series[0].instance[0].sopClass;
      }),
    );
    expect(response.json().issue.map((i: { expression: string[] }) => i.expression[0])).toEqual([
      'ImagingStudy.subject',
      'ImagingStudy.basedOn',
      'ImagingStudy.series[0].instance[0].sopClass',
    ]);
  });

  test('a series that is not an object is reported, not a crash', async () => {
    const response = await post(edited((s) => (s.series = ['nonsense', null])));
    expect(response.statusCode).toBe(400);
    expect(response.json().issue.map((i: { expression: string[] }) => i.expression[0])).toContain('ImagingStudy.series[1].uid');
  });
});

describe('ImagingStudy duplicates', () => {
  test('a second POST for the same Study Instance UID is a duplicate', async () => {
    const first = (await post(study())).json();
    const again = await post(study({ accession: 'ACC-OTHER' }));
    expect(again.statusCode).toBe(400);
    expect(again.json().issue).toEqual([
      {
        severity: 'error',
        code: 'duplicate',
        details: { text: `An ImagingStudy for Study Instance UID ${STUDY_UID} already exists: ImagingStudy/${first.id}` },
        expression: ['ImagingStudy.identifier'],
      },
    ]);
  });

  test('a second POST for the same accession number (another UID) is a duplicate', async () => {
    await post(study());
    const again = await post(study({ studyUid: '1.2.826.0.1.3680043.8.498.2' }));
    expect(again.statusCode).toBe(400);
    expect(again.json().issue[0].code).toBe('duplicate');
    expect(again.json().issue[0].details.text).toContain('accession number ACC-1');
  });

  test('the status is configurable and the rule can be switched off', async () => {
    await sandbox.close();
    await start({ behaviour: { duplicateStatus: 409 } });
    await post(study());
    expect((await post(study())).statusCode).toBe(409);

    await sandbox.close();
    await start({ behaviour: { rejectDuplicateImagingStudy: false } });
    await post(study());
    expect((await post(study())).statusCode).toBe(201);
  });

  test("another organisation's token cannot post a study with this organisation's accession system", async () => {
    const tokenB = await tokenFor(sandbox, ORG_B);
    const response = await sandbox.app.inject({ method: 'POST', url: '/fhir-r4/v1/ImagingStudy', headers: bearer(tokenB), payload: study() });
    expect(response.statusCode).toBe(403);
    expect(response.json().issue[0].details.text).toBe('resource cannot be accessed due to business rule');
  });
});
