import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

describe('bad input gets a clear 4xx and writes nothing', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  async function rowCount(): Promise<number> {
    const [{ n }] = await hub.db.sql<{ n: string }[]>`SELECT count(*) AS n FROM resource`;
    return Number(n);
  }

  const issueText = (body: any): string => body.issue.map((i: any) => i.details?.text ?? i.diagnostics).join(' ');

  test.each([
    ['malformed JSON', 'POST', '/fhir/R4/Patient', '{"resourceType":"Patient",', 400, /not valid JSON/],
    ['resourceType does not match the URL', 'POST', '/fhir/R4/Patient', JSON.stringify({ resourceType: 'Observation' }), 400, /Incorrect resource type/],
    ['unknown resource type', 'POST', '/fhir/R4/Spaceship', JSON.stringify({ resourceType: 'Spaceship' }), 404, /Unknown resource type/],
    ['id that is not an id', 'PUT', '/fhir/R4/Patient/has%20space', JSON.stringify({ resourceType: 'Patient', id: 'has space' }), 400, /not a valid FHIR id/],
    ['id too long', 'GET', `/fhir/R4/Patient/${'a'.repeat(65)}`, undefined, 400, /not a valid FHIR id/],
    ['required binding violated', 'POST', '/fhir/R4/Patient', JSON.stringify(patient({ gender: 'xx' })), 400, /gender/],
    ['unknown element', 'POST', '/fhir/R4/Patient', JSON.stringify(patient({ colour: 'blue' })), 400, /colour/],
    ['array body', 'POST', '/fhir/R4/Patient', '[1,2,3]', 400, /./],
    ['JSON null body', 'POST', '/fhir/R4/Patient', 'null', 400, /./],
  ])('%s', async (_name, method, url, payload, status, pattern) => {
    const before = await rowCount();
    const res = await hub.app.inject({ method: method as never, url, headers: { 'content-type': 'application/fhir+json' }, payload });
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(issueText(body)).toMatch(pattern);
    expect(await rowCount()).toBe(before);
  });

  test('an invalid resource names the element path in expression', async () => {
    const res = await hub.request('POST', '/fhir/R4/Patient', patient({ gender: 'xx' }));
    expect(res.status).toBe(400);
    expect(res.body.issue.flatMap((i: any) => i.expression ?? [])).toContain('Patient.gender');
  });

  test('a body over the configured size is 413', async () => {
    const before = await rowCount();
    const big = patient({ text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(1_100_000)}</div>` } });
    const res = await hub.request('POST', '/fhir/R4/Patient', big);
    expect(res.status).toBe(413);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(await rowCount()).toBe(before);
  });

  test('a query string over the limit is 414', async () => {
    const res = await hub.request('GET', `/fhir/R4/Patient?name=${'a'.repeat(3000)}`);
    expect(res.status).toBe(414);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('an unsupported content type on a FHIR JSON route is refused', async () => {
    const res = await hub.app.inject({ method: 'POST', url: '/fhir/R4/Patient', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(JSON.parse(res.body).resourceType).toBe('OperationOutcome');
  });

  test('a hostile search value is a value, not SQL', async () => {
    const res = await hub.request('GET', `/fhir/R4/Patient?name=${encodeURIComponent("'); DROP TABLE resource;--")}`);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('searchset');
    expect(await rowCount()).toBeGreaterThanOrEqual(0);
  });

  test('a search the engine cannot serve is a 400 with the reason, never a 500', async () => {
    const contained = await hub.request('GET', '/fhir/R4/Observation?_contained=true');
    expect(contained.status).toBe(400);
    expect(contained.body.resourceType).toBe('OperationOutcome');
    // unknown parameters: ignored and reported by default (lenient), a 400 when the client asks for strict
    const unknown = await hub.request('GET', '/fhir/R4/Patient?shoe-size=42', undefined, { prefer: 'handling=strict' });
    expect(unknown.status).toBe(400);
    expect(issueText(unknown.body)).toMatch(/shoe-size/);
    const lenient = await hub.request('GET', '/fhir/R4/Patient?shoe-size=42');
    expect(lenient.status).toBe(200);
    expect(JSON.stringify(lenient.body.entry.at(-1))).toMatch(/shoe-size/);
  });

  test('a reference type modifier restricts the target type', async () => {
    const group = (await hub.request('PUT', '/fhir/R4/Group/shared-1', { resourceType: 'Group', id: 'shared-1', type: 'person', actual: true })).body;
    const person = (await hub.request('PUT', '/fhir/R4/Patient/shared-1', patient({ id: 'shared-1' }))).body;
    const code = { coding: [{ system: 'http://loinc.org', code: '8867-4' }] };
    await hub.request('POST', '/fhir/R4/Observation', { resourceType: 'Observation', status: 'final', code, subject: { reference: `Group/${group.id}` } });
    const onPatient = (await hub.request('POST', '/fhir/R4/Observation', { resourceType: 'Observation', status: 'final', code, subject: { reference: `Patient/${person.id}` } })).body;
    const res = await hub.request('GET', '/fhir/R4/Observation?subject:Patient=shared-1');
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.resource.id)).toEqual([onPatient.id]);
  });

  test('an unknown route is a 404 OperationOutcome, and errors never carry a stack trace', async () => {
    const res = await hub.request('GET', '/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.raw.toString()).not.toMatch(/at .*\.ts:\d+/);
  });
});
