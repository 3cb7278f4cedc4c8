import type { AuditEvent, Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { identityConfigSchema } from '@simpul/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from './support/test-hub.ts';

const MRN = 'https://rs-a.example/id/mrn';
const NIK = 'https://fhir.kemkes.go.id/id/nik';
const MERGED = 'https://simpul.dev/fhir/id/merged-patient-identifier';
const identity = identityConfigSchema.parse({ pollIntervalMs: 0, uniqueIdentifiers: [{ system: NIK, kind: 'national' }, { system: MRN, kind: 'record' }] });

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ identity });
}, 60_000);
afterAll(async () => {
  await hub?.close();
});

const parameters = (...parameter: object[]) => ({ resourceType: 'Parameters', parameter });
const ref = (name: string, id: string) => ({ name, valueReference: { reference: `Patient/${id}` } });

async function patientWithObservation(mrn: string, given: string, birthDate: string): Promise<{ patient: Patient; observation: Observation }> {
  const patient = (await hub.request('POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    identifier: [{ system: MRN, value: mrn }],
    name: [{ given: [given], family: 'Wibowo' }],
    birthDate,
    gender: 'male',
  })).body as Patient;
  const observation = (await hub.request('POST', '/fhir/R4/Observation', {
    resourceType: 'Observation',
    status: 'final',
    code: { text: `weight of ${mrn}` },
    subject: { reference: `Patient/${patient.id}` },
  })).body as Observation;
  return { patient, observation };
}

async function ids(url: string): Promise<string[]> {
  const response = await hub.request('GET', url);
  expect(response.status).toBe(200);
  return ((response.body as Bundle).entry ?? []).map((e) => e.resource?.id as string).sort();
}

async function identityAudits(patientId: string): Promise<string[]> {
  const response = await hub.request('GET', `/fhir/R4/AuditEvent?entity=Patient/${patientId}&_count=100`);
  return ((response.body as Bundle<AuditEvent>).entry ?? [])
    .map((e) => e.resource?.subtype?.find((s) => s.system === 'https://simpul.dev/fhir/CodeSystem/identity-event')?.code)
    .filter((c): c is string => !!c)
    .sort();
}

describe('Patient/$merge and $unmerge', () => {
  it('merge: references follow the survivor in searches both ways; unmerge restores resources and searches', async () => {
    const a = await patientWithObservation('RM001', 'Ahmad', '1970-01-02');
    const b = await patientWithObservation('RM002', 'Bagus', '1985-05-06');
    const original = await hub.repo.readResource<Patient>('Patient', a.patient.id as string);
    const targetOriginal = await hub.repo.readResource<Patient>('Patient', b.patient.id as string);

    const merged = await hub.request('POST', '/fhir/R4/Patient/$merge', parameters(ref('source-patient', a.patient.id as string), ref('target-patient', b.patient.id as string)));
    expect(merged.status).toBe(200);
    expect(merged.body.parameter.find((p: { name: string }) => p.name === 'result').resource.id).toBe(b.patient.id);
    const source = await hub.repo.readResource<Patient>('Patient', a.patient.id as string);
    expect(source).toMatchObject({ active: false, link: [{ type: 'replaced-by', other: { reference: `Patient/${b.patient.id}` } }] });
    expect(source.identifier).toEqual([{ use: 'old', system: MERGED, value: `${MRN}#RM001` }]);
    const target = await hub.repo.readResource<Patient>('Patient', b.patient.id as string);
    expect(target.identifier).toContainEqual({ system: MRN, value: 'RM001', use: 'old' });
    expect(target.link).toEqual([{ type: 'replaces', other: { reference: `Patient/${a.patient.id}` } }]);

    const both = [a.observation.id, b.observation.id].sort() as string[];
    expect(await ids(`/fhir/R4/Observation?patient=${a.patient.id}`)).toEqual(both);
    expect(await ids(`/fhir/R4/Observation?subject=Patient/${b.patient.id}`)).toEqual(both);
    expect(await ids(`/fhir/R4/Observation?subject:Patient=${a.patient.id}`)).toEqual(both);
    expect(await ids(`/fhir/R4/Patient?identifier=${MRN}|RM001`)).toEqual([b.patient.id]);

    await hub.identity?.drain();
    expect(await identityAudits(a.patient.id as string)).toEqual(['merge']);

    // Merging again, or into the merged-away record, is a conflict.
    const again = await hub.request('POST', '/fhir/R4/Patient/$merge', parameters(ref('source-patient', a.patient.id as string), ref('target-patient', b.patient.id as string)));
    expect(again.status).toBe(409);
    const intoMerged = await hub.request('POST', '/fhir/R4/Patient/$merge', parameters(ref('source-patient', b.patient.id as string), ref('target-patient', a.patient.id as string)));
    expect(intoMerged.status).toBe(409);

    const unmerged = await hub.request('POST', '/fhir/R4/Patient/$unmerge', parameters(ref('source-patient', a.patient.id as string)));
    expect(unmerged.status).toBe(200);
    const restored = await hub.repo.readResource<Patient>('Patient', a.patient.id as string);
    const { meta: _m1, ...restoredContent } = restored;
    const { meta: _m2, ...originalContent } = original;
    expect(restoredContent).toEqual(originalContent);
    const restoredTarget = await hub.repo.readResource<Patient>('Patient', b.patient.id as string);
    expect(restoredTarget.identifier).toEqual(targetOriginal.identifier);
    expect(restoredTarget.link).toBeUndefined();
    expect(await ids(`/fhir/R4/Observation?patient=${a.patient.id}`)).toEqual([a.observation.id]);
    expect(await ids(`/fhir/R4/Observation?patient=${b.patient.id}`)).toEqual([b.observation.id]);
    expect(await ids(`/fhir/R4/Patient?identifier=${MRN}|RM001`)).toEqual([a.patient.id]);

    await hub.identity?.drain();
    expect(await identityAudits(a.patient.id as string)).toEqual(['merge', 'unmerge']);
    const [pair] = await hub.db.sql`SELECT status FROM identity_pair WHERE ${a.patient.id as string} IN (a, b) AND ${b.patient.id as string} IN (a, b)`;
    expect(pair.status).toBe('distinct');
    const again2 = await hub.request('POST', '/fhir/R4/Patient/$unmerge', parameters(ref('source-patient', a.patient.id as string)));
    expect(again2.status).toBe(404);
  });

  it('an HL7 A40 transaction (as the ingest writes it) is recorded as a merge, expands searches, and can be unmerged', async () => {
    const old = await patientWithObservation('RM00999999', 'Rudi', '1990-01-01');
    const survivor = await patientWithObservation('RM00123456', 'Rudi', '1990-01-01');
    const a40: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111',
          resource: {
            resourceType: 'Patient',
            identifier: [{ use: 'old', system: MERGED, value: `${MRN}#RM00999999` }],
            active: false,
            link: [{ other: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' }, type: 'replaced-by' }],
          },
          request: { method: 'PUT', url: `Patient?identifier=${MRN}|RM00999999,${MERGED}|${MRN}%23RM00999999&identifier:not=${MRN}|RM00123456` },
        },
        {
          fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222',
          resource: {
            resourceType: 'Patient',
            identifier: [{ system: MRN, value: 'RM00123456' }, { system: MRN, value: 'RM00999999', use: 'old' }],
            name: [{ given: ['Rudi'], family: 'Wibowo' }],
            birthDate: '1990-01-01',
            gender: 'male',
            active: true,
            link: [{ other: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' }, type: 'replaces' }],
          },
          request: { method: 'PUT', url: `Patient?identifier=${MRN}|RM00123456` },
        },
      ],
    };
    const response = await hub.request('POST', '/fhir/R4', a40);
    expect(response.status).toBe(200);
    const [row] = await hub.db.sql<{ target_id: string; origin: string }[]>`
      SELECT target_id, origin FROM identity_merge WHERE source_id = ${old.patient.id as string} AND unmerged_at IS NULL`;
    expect(row).toEqual({ target_id: survivor.patient.id, origin: 'client-write' });
    const both = [old.observation.id, survivor.observation.id].sort() as string[];
    expect(await ids(`/fhir/R4/Observation?patient=${old.patient.id}`)).toEqual(both);
    await hub.identity?.drain();
    expect(await identityAudits(old.patient.id as string)).toEqual(['merge']);

    const unmerged = await hub.request('POST', '/fhir/R4/Patient/$unmerge', parameters(ref('source-patient', old.patient.id as string), ref('target-patient', survivor.patient.id as string)));
    expect(unmerged.status).toBe(200);
    const restored = await hub.repo.readResource<Patient>('Patient', old.patient.id as string);
    expect(restored.identifier).toEqual([{ system: MRN, value: 'RM00999999' }]);
    expect(restored.active).toBeUndefined();
    expect((await hub.repo.readResource<Patient>('Patient', survivor.patient.id as string)).identifier).toEqual([{ system: MRN, value: 'RM00123456' }]);
    expect(await ids(`/fhir/R4/Observation?patient=${old.patient.id}`)).toEqual([old.observation.id]);
  });

  it('refuses malformed and hostile input with a 4xx naming the problem, changing nothing', async () => {
    const { patient } = await patientWithObservation('RM777', 'Eko', '1960-06-06');
    const cases: [unknown, number, string][] = [
      [{ resourceType: 'Patient' }, 400, 'Parameters'],
      [parameters(ref('source-patient', patient.id as string)), 400, 'target-patient'],
      [parameters(ref('source-patient', patient.id as string), ref('target-patient', patient.id as string)), 400, 'same Patient'],
      [parameters(ref('source-patient', patient.id as string), ref('target-patient', 'does-not-exist')), 404, 'does not exist'],
      [parameters(ref('source-patient', patient.id as string), { name: 'target-patient', valueReference: { reference: "Patient/x' OR 1=1 --" } }), 400, 'valueReference'],
      [parameters(ref('source-patient', patient.id as string), ref('target-patient', 'x'), { name: 'evil', valueString: 'x' }), 400, 'unknown parameter'],
    ];
    for (const [body, status, text] of cases) {
      const response = await hub.request('POST', '/fhir/R4/Patient/$merge', body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(response.body)).toContain(text);
    }
    expect((await hub.repo.readResource<Patient>('Patient', patient.id as string)).link).toBeUndefined();
    const unmergeNothing = await hub.request('POST', '/fhir/R4/Patient/$unmerge', parameters(ref('source-patient', patient.id as string)));
    expect(unmergeNothing.status).toBe(404);
  });

  it('a token without Patient write scope cannot merge', async () => {
    const a = await patientWithObservation('RM881', 'Fajar', '1991-02-03');
    const b = await patientWithObservation('RM882', 'Gilang', '1992-03-04');
    const token = await hub.serviceToken('system/Patient.read');
    const response = await hub.request('POST', '/fhir/R4/Patient/$merge', parameters(ref('source-patient', a.patient.id as string), ref('target-patient', b.patient.id as string)), {
      authorization: `Bearer ${token}`,
    });
    expect(response.status).toBe(403);
    expect((await hub.repo.readResource<Patient>('Patient', a.patient.id as string)).active).toBeUndefined();
  });
});

describe('Patient/$match', () => {
  it('returns scored matches with match-grade, honours onlyCertainMatches and count, refuses bad input', async () => {
    await hub.request('POST', '/fhir/R4/Patient', {
      resourceType: 'Patient',
      identifier: [{ system: NIK, value: '3201011505880001' }],
      name: [{ given: ['Siti', 'Nurhayati'] }],
      birthDate: '1988-05-15',
      gender: 'female',
      telecom: [{ system: 'phone', value: '081311112222' }],
    });
    await hub.request('POST', '/fhir/R4/Patient', {
      resourceType: 'Patient',
      name: [{ given: ['Siti', 'Nurhajati'] }],
      birthDate: '1988-05-15',
      gender: 'female',
    });
    // A Patient is matchable once the identity worker saved its features (after commit, within pollIntervalMs).
    await hub.identity?.drain();
    const query = (resource: Patient, ...extra: object[]) =>
      hub.request('POST', '/fhir/R4/Patient/$match', parameters({ name: 'resource', resource }, ...extra));
    const probe: Patient = { resourceType: 'Patient', name: [{ text: 'Hj. Siti Nurhayati, S.Pd' }], birthDate: '1988-05-15', gender: 'female', telecom: [{ system: 'phone', value: '+62 813-1111-2222' }] };
    const response = await query(probe);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const grades = response.body.entry.map((e: { search: { score: number; extension: { valueCode: string }[] } }) => [e.search.extension[0].valueCode, e.search.score]);
    expect(grades.length).toBe(2);
    expect(grades[0][0]).toBe('certain');
    expect(grades[0][1]).toBeGreaterThan(grades[1][1]);
    expect(['probable', 'possible']).toContain(grades[1][0]);
    expect(response.body.entry[0].fullUrl).toMatch(/^http:\/\/hub\.test\/fhir\/R4\/Patient\//);

    const certain = await query(probe, { name: 'onlyCertainMatches', valueBoolean: true });
    expect(certain.body.entry).toHaveLength(1);
    const one = await query(probe, { name: 'count', valueInteger: 1 });
    expect(one.body.entry).toHaveLength(1);
    const byNik = await query({ resourceType: 'Patient', identifier: [{ system: NIK, value: '3201011505880001' }] });
    expect(byNik.body.entry[0].search).toMatchObject({ score: 1, extension: [{ valueCode: 'certain' }] });
    const nobody = await query({ resourceType: 'Patient', name: [{ text: 'Zainal Sembiring' }], birthDate: '2001-01-01' });
    expect(nobody.body.entry).toEqual([]);

    expect((await hub.request('POST', '/fhir/R4/Patient/$match', parameters())).status).toBe(400);
    expect((await query({ resourceType: 'Observation' } as unknown as Patient)).status).toBe(400);
    expect((await query(probe, { name: 'count', valueInteger: 100000 })).status).toBe(400);
    expect((await query({ resourceType: 'Patient', gender: 'robot' } as unknown as Patient)).status).toBe(400);
  });
});
