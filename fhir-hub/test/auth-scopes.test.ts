/**
 * Every SMART scope form against allowed and denied reads, searches, writes, transaction and batch
 * entries, _include/_revinclude, chains and GraphQL; and the patient compartment: a patient token
 * never reaches another patient's Observation by id, search, include, chain or GraphQL.
 * User tokens come from the real sign-in page (HTTP); FHIR calls go through app.inject.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addUser } from '../src/auth/index.ts';
import { createListeningHub, registerApp, signIn, type ListeningHub } from './auth-fixture.ts';
import type { TestResponse } from './support/test-hub.ts';

const PASSWORD = 'a long enough passphrase';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

let hub: ListeningHub;
const id: Record<string, string> = {};
const tokens: Record<string, string> = {};

function observation(patient: string, category: string) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { text: `${category} result` },
    subject: { reference: `Patient/${patient}` },
    category: [{ coding: [{ system: CATEGORY, code: category }] }],
  };
}

async function userToken(scope: string, patient?: string): Promise<string> {
  const app = await registerApp(hub, `openid launch/patient ${scope.replace('launch/patient', '')}`.trim());
  return (await signIn(hub, app, { username: 'ana', password: PASSWORD, scope, patient })).access_token;
}

function as(token: string) {
  return (method: string, url: string, body?: unknown): Promise<TestResponse> =>
    hub.request(method, `/fhir/R4/${url}`, body, { authorization: `Bearer ${token}` });
}

const idsOf = (res: TestResponse, mode = 'match'): string[] =>
  (res.body.entry ?? []).filter((e: any) => e.search?.mode === mode).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();

const codeOf = (res: TestResponse): string | undefined => res.body?.issue?.[0]?.details?.coding?.[0]?.code;

beforeAll(async () => {
  hub = await createListeningHub();
  id.pA = (await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient', name: [{ family: 'Santoso' }] })).body.id;
  id.pB = (await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient', name: [{ family: 'Lestari' }] })).body.id;
  id.practitioner = (await hub.request('POST', '/fhir/R4/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Wijaya' }] })).body.id;
  id.aLab = (await hub.request('POST', '/fhir/R4/Observation', observation(id.pA, 'laboratory'))).body.id;
  id.aVital = (await hub.request('POST', '/fhir/R4/Observation', observation(id.pA, 'vital-signs'))).body.id;
  id.bLab = (await hub.request('POST', '/fhir/R4/Observation', observation(id.pB, 'laboratory'))).body.id;
  await addUser(hub.db.sql, { username: 'ana', password: PASSWORD, fhirUser: `Practitioner/${id.practitioner}` });
  tokens.patientV1 = await userToken('launch/patient patient/Observation.read', id.pA);
  tokens.patientV2 = await userToken('launch/patient patient/Observation.rs patient/Patient.rs', id.pA);
  tokens.patientAll = await userToken('launch/patient patient/*.rs', id.pA);
  tokens.patientLab = await userToken(`launch/patient patient/Observation.rs?category=${CATEGORY}|laboratory`, id.pA);
  tokens.patientWrite = await userToken('launch/patient patient/Observation.rs patient/Observation.cu', id.pA);
  tokens.userAll = await userToken('user/*.*');
  tokens.userPatientCu = await userToken('user/Patient.cu');
  tokens.systemWrite = await hub.serviceToken('system/*.write');
  tokens.systemObservation = await hub.serviceToken('system/Observation.rs');
}, 60_000);
afterAll(async () => {
  await hub?.close();
});

describe('no token, bad token, missing scope', () => {
  test('no token: 401 with WWW-Authenticate: Bearer and an OperationOutcome', async () => {
    const res = await hub.request('GET', `/fhir/R4/Patient/${id.pA}`, undefined, { authorization: '' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="simpul"');
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(codeOf(res)).toBe('SIMPUL-AUTH-001');
  });

  test('a valid token without the scope: 403 OperationOutcome naming the interaction', async () => {
    const res = await as(tokens.systemObservation)('GET', `Patient/${id.pA}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(codeOf(res)).toBe('SIMPUL-AUTH-003');
    expect(res.body.issue[0].details.text).toContain('read on Patient');
  });

  test('metadata and discovery stay public', async () => {
    expect((await hub.request('GET', '/fhir/R4/metadata', undefined, { authorization: '' })).status).toBe(200);
    expect((await hub.request('GET', '/.well-known/smart-configuration', undefined, { authorization: '' })).status).toBe(200);
    expect((await hub.request('GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
  });
});

describe('patient scopes (v1 .read and v2 .rs) and the patient compartment', () => {
  test.each(['patientV1', 'patientV2'])('%s reads and searches only its patient', async (name) => {
    const get = as(tokens[name]);
    expect((await get('GET', `Observation/${id.aLab}`)).status).toBe(200);
    expect((await get('GET', `Observation/${id.bLab}`)).status).toBe(404);
    expect(idsOf(await get('GET', 'Observation'))).toEqual([`Observation/${id.aLab}`, `Observation/${id.aVital}`].sort());
    expect(idsOf(await get('GET', `Observation?subject=Patient/${id.pB}`))).toEqual([]);
    expect(idsOf(await get('POST', 'Observation/_search', undefined))).toHaveLength(2);
    const create = await get('POST', 'Observation', observation(id.pA, 'laboratory'));
    expect(create.status).toBe(403);
    expect(codeOf(create)).toBe('SIMPUL-AUTH-003');
  });

  test('v1 patient/Observation.read does not reach Patient; v2 with patient/Patient.rs reaches only its own', async () => {
    expect((await as(tokens.patientV1)('GET', `Patient/${id.pA}`)).status).toBe(403);
    expect((await as(tokens.patientV2)('GET', `Patient/${id.pA}`)).status).toBe(200);
    expect((await as(tokens.patientV2)('GET', `Patient/${id.pB}`)).status).toBe(404);
    expect(idsOf(await as(tokens.patientV2)('GET', 'Patient'))).toEqual([`Patient/${id.pA}`]);
  });

  test('_summary and _elements keep the compartment', async () => {
    const get = as(tokens.patientV2);
    const own = idsOf(await hub.request('GET', `/fhir/R4/Observation?subject=Patient/${id.pA}&_count=100`));
    expect(idsOf(await get('GET', 'Observation?_elements=status&_count=100'))).toEqual(own);
    expect((await get('GET', 'Observation?_summary=count')).body.total).toBe(own.length);
  });

  test('granular v2 scope: only laboratory Observations of the patient', async () => {
    const get = as(tokens.patientLab);
    expect((await get('GET', `Observation/${id.aLab}`)).status).toBe(200);
    expect((await get('GET', `Observation/${id.aVital}`)).status).toBe(404);
    expect((await get('GET', `Observation/${id.bLab}`)).status).toBe(404);
    expect(idsOf(await get('GET', 'Observation'))).toEqual([`Observation/${id.aLab}`]);
    expect(idsOf(await get('GET', `Observation?category=${CATEGORY}|vital-signs`))).toEqual([]);
  });

  test('history and vread follow the compartment; type and system history need unrestricted scopes', async () => {
    const get = as(tokens.patientV2);
    expect((await get('GET', `Observation/${id.aLab}/_history`)).status).toBe(200);
    expect((await get('GET', `Observation/${id.bLab}/_history`)).status).toBe(404);
    const versionB = (await hub.request('GET', `/fhir/R4/Observation/${id.bLab}`)).body.meta.versionId;
    expect((await get('GET', `Observation/${id.bLab}/_history/${versionB}`)).status).toBe(404);
    expect((await get('GET', 'Observation/_history')).status).toBe(403);
    expect((await get('GET', '_history')).status).toBe(403);
  });

  test('patient writes land only in the compartment', async () => {
    const write = as(tokens.patientWrite);
    const own = await write('POST', 'Observation', observation(id.pA, 'laboratory'));
    expect(own.status).toBe(201);
    const foreign = await write('POST', 'Observation', observation(id.pB, 'laboratory'));
    expect(foreign.status).toBe(403);
    expect(codeOf(foreign)).toBe('SIMPUL-AUTH-004');
    const moved = await write('PUT', `Observation/${own.body.id}`, { ...own.body, subject: { reference: `Patient/${id.pB}` } });
    expect(moved.status).toBe(403);
    const stolen = await write('PUT', `Observation/${id.bLab}`, { ...observation(id.pA, 'laboratory'), id: id.bLab });
    expect(stolen.status).toBe(404);
    expect((await hub.request('GET', `/fhir/R4/Observation/${id.bLab}`)).body.subject.reference).toBe(`Patient/${id.pB}`);
    expect((await write('DELETE', `Observation/${own.body.id}`)).status).toBe(403);
    const patched = await hub.request('PATCH', `/fhir/R4/Observation/${own.body.id}`, [{ op: 'replace', path: '/subject/reference', value: `Patient/${id.pB}` }], {
      authorization: `Bearer ${tokens.patientWrite}`,
      'content-type': 'application/json-patch+json',
    });
    expect(patched.status).toBe(403);
    expect((await hub.request('GET', `/fhir/R4/Observation/${own.body.id}`)).body.subject.reference).toBe(`Patient/${id.pA}`);
  });
});

describe('user and system scopes', () => {
  test('v1 user/*.* (practitioner): everything', async () => {
    const get = as(tokens.userAll);
    expect((await get('GET', `Observation/${id.bLab}`)).status).toBe(200);
    const created = await get('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Baru' }] });
    expect(created.status).toBe(201);
    expect((await get('DELETE', `Patient/${created.body.id}`)).status).toBe(200);
  });

  test('v2 user/Patient.cu: create and update, but no read, search or delete', async () => {
    const get = as(tokens.userPatientCu);
    const created = await get('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Tulis' }] });
    expect(created.status).toBe(201);
    expect((await get('PUT', `Patient/${created.body.id}`, { ...created.body, gender: 'female' })).status).toBe(200);
    expect((await get('GET', `Patient/${created.body.id}`)).status).toBe(403);
    expect((await get('GET', 'Patient')).status).toBe(403);
    expect((await get('DELETE', `Patient/${created.body.id}`)).status).toBe(403);
    expect((await get('POST', 'Observation', observation(id.pA, 'laboratory'))).status).toBe(403);
  });

  test('v1 system/*.write writes but cannot read or search', async () => {
    const get = as(tokens.systemWrite);
    expect((await get('POST', 'Observation', observation(id.pB, 'laboratory'))).status).toBe(201);
    expect((await get('GET', `Observation/${id.bLab}`)).status).toBe(403);
    expect((await get('GET', 'Observation')).status).toBe(403);
  });

  test('v2 system/Observation.rs reads and searches Observations, nothing else', async () => {
    const get = as(tokens.systemObservation);
    expect((await get('GET', `Observation/${id.bLab}`)).status).toBe(200);
    expect(idsOf(await get('GET', `Observation?subject=Patient/${id.pB}`))).toContain(`Observation/${id.bLab}`);
    expect((await get('PUT', `Observation/${id.bLab}`, { ...observation(id.pB, 'laboratory'), id: id.bLab })).status).toBe(403);
    expect((await get('GET', `Observation?subject:Patient.name=Lestari`)).status).toBe(403);
    expect((await get('GET', `Patient?_has:Observation:subject:status=final`)).status).toBe(403);
  });

  test('user/ scopes mean nothing to a service, system/ scopes nothing to a person', async () => {
    expect((await as(await hub.serviceToken('system/Patient.rs'))('GET', `Patient/${id.pA}`)).status).toBe(200);
    const app = await registerApp(hub, 'openid user/Patient.rs');
    const person = (await signIn(hub, app, { username: 'ana', password: PASSWORD, scope: 'openid user/Patient.rs system/*.*' })).access_token;
    expect((await as(person)('GET', `Observation/${id.aLab}`)).status).toBe(403);
  });
});

describe('transactions and batches: every entry is checked', () => {
  const bundle = (type: 'transaction' | 'batch') => ({
    resourceType: 'Bundle',
    type,
    entry: [
      { resource: observation(id.pA, 'laboratory'), request: { method: 'POST', url: 'Observation' } },
      { resource: observation(id.pB, 'laboratory'), request: { method: 'POST', url: 'Observation' } },
      { request: { method: 'GET', url: `Observation/${id.bLab}` } },
    ],
  });
  const countObservations = async () => (await hub.request('GET', '/fhir/R4/Observation?_summary=count')).body.total;

  test('a transaction with one denied entry writes nothing', async () => {
    const before = await countObservations();
    const res = await as(tokens.patientWrite)('POST', '', bundle('transaction'));
    expect(res.status).toBe(403);
    expect(await countObservations()).toBe(before);
  });

  test('a batch answers each entry on its own', async () => {
    const res = await as(tokens.patientWrite)('POST', '', bundle('batch'));
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status.slice(0, 3))).toEqual(['201', '403', '404']);
  });
});

describe('_include, _revinclude, chains and GraphQL never leak another patient', () => {
  /** Patient A's Observations as the admin sees them (earlier tests add some). */
  const observationsOfA = async () => idsOf(await hub.request('GET', `/fhir/R4/Observation?subject=Patient/${id.pA}&_count=100`));

  test('_include of the subject: only types and patients the token may read', async () => {
    const withPatient = await as(tokens.patientV2)('GET', 'Observation?_include=Observation:subject&_count=100');
    expect(idsOf(withPatient)).toEqual(await observationsOfA());
    expect(idsOf(withPatient, 'include')).toEqual([`Patient/${id.pA}`]);
    const withoutPatientScope = await as(tokens.patientV1)('GET', 'Observation?_include=Observation:subject');
    expect(idsOf(withoutPatientScope, 'include')).toEqual([]);
    const admin = await hub.request('GET', '/fhir/R4/Observation?_include=Observation:subject');
    expect(idsOf(admin, 'include')).toEqual(expect.arrayContaining([`Patient/${id.pA}`, `Patient/${id.pB}`]));
  });

  test('_revinclude from the patient brings only its own Observations', async () => {
    const res = await as(tokens.patientAll)('GET', 'Patient?_revinclude=Observation:subject');
    expect(idsOf(res)).toEqual([`Patient/${id.pA}`]);
    const included = idsOf(res, 'include');
    expect(included).toContain(`Observation/${id.aLab}`);
    expect(included).not.toContain(`Observation/${id.bLab}`);
    expect(idsOf(await as(tokens.patientAll)('GET', `Patient?_id=${id.pB}&_revinclude=Observation:subject`))).toEqual([]);
  });

  test('a chain through the other patient finds nothing of theirs', async () => {
    const res = await as(tokens.patientAll)('GET', 'Observation?subject:Patient.name=Lestari');
    if (res.status === 200) expect(idsOf(res)).toEqual([]);
    else expect(res.status).toBe(400);
    const has = await as(tokens.patientAll)('GET', `Patient?_has:Observation:subject:_id=${id.bLab}`);
    if (has.status === 200) expect(idsOf(has)).toEqual([]);
    else expect(has.status).toBe(400);
  });

  test('GraphQL lists and reads only what the token may see', async () => {
    const graphql = (query: string) => as(tokens.patientV2)('POST', '$graphql', { query });
    const list = await graphql('{ ObservationList { id subject { reference } } }');
    expect(list.status).toBe(200);
    expect(list.body.data.ObservationList.map((o: any) => `Observation/${o.id}`).sort()).toEqual(await observationsOfA());
    const other = await graphql(`{ Observation(id: "${id.bLab}") { id } }`);
    expect(other.body.data?.Observation ?? null).toBeNull();
    expect(JSON.stringify(other.body)).not.toContain(`"id":"${id.bLab}"`);
    const denied = await graphql(`{ PractitionerList { id } }`);
    expect(JSON.stringify(denied.body)).not.toContain(id.practitioner);
  });
});
