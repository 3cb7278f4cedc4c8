/**
 * AuditEvents: every write and every denied request is recorded (who, what, when, outcome) as a
 * searchable FHIR AuditEvent; an audit store failure leaves the request's outcome alone but is loud.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addUser } from '../src/auth/index.ts';
import { browse, createListeningHub, discover, registerApp, signIn, type ListeningHub } from './auth-fixture.ts';
import * as oidc from 'openid-client';
import { CLIENT_ID_SYSTEM } from '../src/auth/audit-event.ts';

const PASSWORD = 'a long enough passphrase';
const logLines: Record<string, unknown>[] = [];
let hub: ListeningHub;
let patientA: string;
let patientB: string;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  hub = await createListeningHub({ logger: pino({ level: 'warn' }, sink), auth: { audit: true } });
  patientA = (await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient', name: [{ family: 'Santoso' }] })).body.id;
  patientB = (await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient', name: [{ family: 'Lestari' }] })).body.id;
  const practitioner = (await hub.request('POST', '/fhir/R4/Practitioner', { resourceType: 'Practitioner' })).body.id;
  await addUser(hub.db.sql, { username: 'ana', password: PASSWORD, fhirUser: `Practitioner/${practitioner}` });
});
afterAll(async () => {
  await hub?.close();
});

async function auditEvents(query: string): Promise<any[]> {
  const res = await hub.request('GET', `/fhir/R4/AuditEvent?${query}&_count=100&_sort=-_lastUpdated`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: any) => e.resource);
}

const byTrace = (events: any[], traceId: string) =>
  events.filter((e) => e.entity?.some((x: any) => x.detail?.some((d: any) => d.valueString === traceId)));

describe('writes', () => {
  test('a create is recorded with the client, the target, the time and success', async () => {
    const token = await hub.serviceToken('system/Patient.cruds');
    const before = new Date().toISOString();
    const created = await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient' }, { authorization: `Bearer ${token}` });
    expect(created.status).toBe(201);
    const [event] = await auditEvents(`entity=Patient/${created.body.id}`);
    expect(event).toMatchObject({ action: 'C', outcome: '0', subtype: [{ code: 'create' }] });
    expect(event.recorded >= before).toBe(true);
    const clientId = String(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).client_id);
    expect(event.agent[0].who.identifier).toEqual({ system: CLIENT_ID_SYSTEM, value: clientId });
    expect(event.agent[0].network).toEqual({ address: '127.0.0.1', type: '2' });
    expect(event.entity[1].detail[0].valueString).toBe(created.headers['x-trace-id']);
  });

  test('a person\'s update names them (fhirUser) and the app', async () => {
    const app = await registerApp(hub, 'openid user/*.*');
    const token = (await signIn(hub, app, { username: 'ana', password: PASSWORD, scope: 'openid user/*.*' })).access_token;
    const current = (await hub.request('GET', `/fhir/R4/Patient/${patientA}`)).body;
    const updated = await hub.request('PUT', `/fhir/R4/Patient/${patientA}`, { ...current, gender: 'male' }, { authorization: `Bearer ${token}` });
    expect(updated.status).toBe(200);
    const [event] = (await auditEvents(`entity=Patient/${patientA}`)).filter((e) => e.action === 'U');
    expect(event.agent[0].who.reference).toMatch(/^Practitioner\//);
    expect(event.agent[1].who.identifier.value).toBe(app);
    expect(event.agent[1].requestor).toBe(false);
  });

  test('a rolled-back transaction records its writes as failed', async () => {
    const token = await hub.serviceToken('system/Patient.c');
    const res = await hub.request(
      'POST',
      '/fhir/R4',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      },
      { authorization: `Bearer ${token}` },
    );
    expect(res.status).toBe(403);
    const events = byTrace(await auditEvents('_lastUpdated=gt2000-01-01'), String(res.headers['x-trace-id']));
    expect(events.map((e) => `${e.subtype[0].code}:${e.outcome}`).sort()).toEqual(['create:4', 'create:8']);
  });
});

describe('denied requests', () => {
  test('no token, a bad token and a missing scope are each recorded as denied', async () => {
    const anonymous = await hub.request('GET', `/fhir/R4/Patient/${patientA}`, undefined, { authorization: '' });
    const forged = await hub.request('GET', `/fhir/R4/Patient/${patientA}`, undefined, { authorization: 'Bearer a.b.c' });
    const noScope = await hub.request('DELETE', `/fhir/R4/Patient/${patientA}`, undefined, { authorization: `Bearer ${await hub.serviceToken('system/Patient.rs')}` });
    expect([anonymous.status, forged.status, noScope.status]).toEqual([401, 401, 403]);
    const recent = await auditEvents('_lastUpdated=gt2000-01-01');
    for (const res of [anonymous, forged, noScope]) {
      const [event] = byTrace(recent, String(res.headers['x-trace-id']));
      expect(event.outcome).toBe('4');
      expect(event.outcomeDesc).toBeTruthy();
    }
    expect(byTrace(recent, String(anonymous.headers['x-trace-id']))[0].agent[0].who.display).toBe('unauthenticated caller');
  });

  test("a patient token reaching for another patient's record is recorded with the target", async () => {
    const app = await registerApp(hub, 'openid launch/patient patient/*.rs');
    const token = (await signIn(hub, app, { username: 'ana', password: PASSWORD, scope: 'openid launch/patient patient/*.rs', patient: patientA })).access_token;
    const res = await hub.request('GET', `/fhir/R4/Patient/${patientB}`, undefined, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(404);
    const [event] = byTrace(await auditEvents(`entity=Patient/${patientB}`), String(res.headers['x-trace-id']));
    expect(event).toMatchObject({ outcome: '4', subtype: [{ code: 'read' }] });
  });

  test('sign-ins are recorded: failure and success, with the username', async () => {
    const app = await registerApp(hub, 'openid user/*.rs');
    const config = await discover(hub, app, oidc.None());
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://app.example/callback',
      scope: 'openid user/*.rs',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    await browse(url, { username: 'ana', password: 'wrong password!' });
    const logins = (await auditEvents('type=110114')).filter((e) => e.agent[0].who.identifier?.value === 'ana');
    expect(logins.map((e) => e.outcome)).toContain('4');
    expect(logins.map((e) => e.outcome)).toContain('0');
  });
});

describe('when the audit store fails', () => {
  test('the write still succeeds, and the failure is logged as an error and counted', async () => {
    await hub.db.sql.unsafe(`
      CREATE FUNCTION simpul_test_refuse_audit() RETURNS trigger AS $$
      BEGIN IF NEW.resource_type = 'AuditEvent' THEN RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER simpul_test_refuse_audit BEFORE INSERT ON resource FOR EACH ROW EXECUTE FUNCTION simpul_test_refuse_audit();`);
    try {
      const failuresBefore = hub.auth.counters.auditWriteFailures;
      const created = await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient', name: [{ family: 'Tetap' }] });
      expect(created.status).toBe(201);
      expect((await hub.request('GET', `/fhir/R4/Patient/${created.body.id}`)).status).toBe(200);
      expect(hub.auth.counters.auditWriteFailures).toBe(failuresBefore + 1);
      const line = logLines.find((l) => l.level === 50 && String(l.msg).includes('AUDIT WRITE FAILED') && l.traceId === created.headers['x-trace-id']);
      expect(line).toBeTruthy();
      expect(JSON.stringify(line?.lostAuditEvents)).toContain(`Patient/${created.body.id}`);
    } finally {
      await hub.db.sql.unsafe('DROP TRIGGER simpul_test_refuse_audit ON resource; DROP FUNCTION simpul_test_refuse_audit();');
    }
  });
});
