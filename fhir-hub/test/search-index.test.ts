import { performance } from 'node:perf_hooks';
import { getResourceTypes, OperationOutcomeError } from '@medplum/core';
import type { SearchRequest } from '@medplum/core';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteSearchIndex, extractSearchIndexRows, initSearchDefinitions, searchBundle, writeSearchIndex } from '../src/search/index.ts';
import { BASE_URL, createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const TABLES = ['sp_token', 'sp_string', 'sp_date', 'sp_number', 'sp_quantity', 'sp_reference', 'sp_uri'];

async function indexRowCount(fixture: SearchFixture, rid: string): Promise<number> {
  let total = 0;
  for (const table of TABLES) {
    const [{ n }] = await fixture.db.sql.unsafe(`SELECT count(*)::int AS n FROM ${table} WHERE rid = $1`, [rid]);
    total += n as number;
  }
  return total;
}

describe('search index writes', () => {
  let fixture: SearchFixture;

  beforeAll(async () => {
    fixture = await createSearchFixture();
  });
  afterAll(async () => {
    await fixture.drop();
  });

  it('never matches a deleted resource', async () => {
    await fixture.add({ resourceType: 'Patient', id: 'gone', name: [{ family: 'Vanished' }] });
    await fixture.add({ resourceType: 'Patient', id: 'kept', name: [{ family: 'Vanishing' }] });
    expect(sorted(await fixture.ids('Patient?name=vanish'))).toEqual(['gone', 'kept']);
    await fixture.markDeleted('Patient', 'gone');
    expect(await fixture.ids('Patient?name=vanish')).toEqual(['kept']);
    expect(await fixture.ids('Patient?_id=gone')).toEqual([]);
    expect((await fixture.search('Patient?name=vanish&_total=accurate')).total).toBe(1);
  });

  it('replaces the old values when a resource is re-indexed', async () => {
    const patient: Patient = { resourceType: 'Patient', id: 'renamed', name: [{ family: 'Oldname' }], gender: 'male', birthDate: '1980' };
    const rid = await fixture.add(patient);
    const rowsBefore = await indexRowCount(fixture, rid);
    await fixture.update({ ...patient, name: [{ family: 'Newname' }], gender: 'female', birthDate: undefined });
    expect(await fixture.ids('Patient?name=oldname')).toEqual([]);
    expect(await fixture.ids('Patient?name=newname')).toEqual(['renamed']);
    expect(await fixture.ids('Patient?_id=renamed&gender=male')).toEqual([]);
    expect(await fixture.ids('Patient?_id=renamed&gender=female')).toEqual(['renamed']);
    expect(await fixture.ids('Patient?_id=renamed&birthdate:missing=true')).toEqual(['renamed']);
    // re-indexing the same content twice leaves the same rows, not twice as many
    await writeSearchIndex(fixture.db.sql, rid, { ...patient, name: [{ family: 'Newname' }] });
    const once = await indexRowCount(fixture, rid);
    await writeSearchIndex(fixture.db.sql, rid, { ...patient, name: [{ family: 'Newname' }] });
    expect(await indexRowCount(fixture, rid)).toBe(once);
    expect(rowsBefore).toBeGreaterThan(0);
  });

  it('is rolled back with the transaction that wrote it', async () => {
    const rid = await fixture.add({ resourceType: 'Patient', id: 'tx', name: [{ family: 'Before' }] });
    await expect(
      fixture.db.sql.begin(async (tx) => {
        await writeSearchIndex(tx, rid, { resourceType: 'Patient', id: 'tx', name: [{ family: 'During' }] });
        throw new Error('abort');
      })
    ).rejects.toThrow('abort');
    expect(await fixture.ids('Patient?name=before')).toEqual(['tx']);
    expect(await fixture.ids('Patient?name=during')).toEqual([]);
  });

  it('deletes every index row of a resource, and cascades when the row goes', async () => {
    const rid = await fixture.add({ resourceType: 'Patient', id: 'wiped', name: [{ family: 'Wiped' }], active: true });
    expect(await indexRowCount(fixture, rid)).toBeGreaterThan(0);
    await deleteSearchIndex(fixture.db.sql, rid);
    expect(await indexRowCount(fixture, rid)).toBe(0);
    expect(await fixture.ids('Patient?name=wiped')).toEqual([]);

    const rid2 = await fixture.add({ resourceType: 'Patient', id: 'dropped', name: [{ family: 'Dropped' }] });
    await fixture.db.sql`DELETE FROM resource WHERE rid = ${rid2}`;
    expect(await indexRowCount(fixture, rid2)).toBe(0);
  });

  it('stores and finds hostile and oversized values as plain data', async () => {
    const hostile = "'); DROP TABLE resource;--";
    const long = 'x'.repeat(10_000);
    await fixture.add({
      resourceType: 'Patient',
      id: 'hostile',
      name: [{ family: hostile, given: ['nul\u0000byte', long] }],
      identifier: [{ system: 'urn:evil', value: hostile }, { system: 'urn:long', value: long }],
      address: [{ text: 'back\\slash 100%' }],
    });
    expect(await fixture.ids(`Patient?identifier=urn:evil|${encodeURIComponent(hostile)}`)).toEqual(['hostile']);
    expect(await fixture.ids(`Patient?family=${encodeURIComponent(hostile)}`)).toEqual(['hostile']);
    expect(await fixture.ids(`Patient?family:exact=${encodeURIComponent(hostile)}`)).toEqual(['hostile']);
    expect(await fixture.ids(`Patient?given=nulbyte`)).toEqual(['hostile']);
    expect(await fixture.ids(`Patient?given=nul%00byte`)).toEqual(['hostile']);
    expect(await fixture.ids(`Patient?given:exact=${long}`)).toEqual(['hostile']);
    expect(await fixture.ids(`Patient?identifier=urn:long|${long}`)).toEqual(['hostile']);
    expect(await fixture.ids('Patient?address:contains=slash 100%25')).toEqual(['hostile']);
    expect(await fixture.ids('Patient?address=back\\\\slash')).toEqual(['hostile']);
    const [{ n }] = await fixture.db.sql`SELECT count(*)::int AS n FROM resource WHERE id = 'hostile'`;
    expect(n).toBe(1);
  });

  it.each([
    ['Patient?foo=bar', 'Unknown search parameter: foo', 'foo'],
    ['Patient?name.family=x', 'Cannot chain through name: it is a string parameter, not a reference', 'name'],
    ['Observation?subject:Frob.name=x', 'Invalid chain link subject:Frob', 'subject:Frob'],
    ['Observation?subject:Patient.nonsense=x', 'Unknown search parameter: nonsense', 'nonsense'],
    ['Observation?_sort=code-value-quantity', 'Cannot sort on the composite parameter code-value-quantity', 'code-value-quantity'],
    ['Patient?_cursor=abc', 'Invalid _cursor', '_cursor'],
    ['Patient?_contained=true', '_contained is not supported by this server', '_contained'],
    ['Patient?_filter=name eq', 'Invalid _filter expression', '_filter'],
    ['Patient?_has:Observation:subject=x', 'Invalid _has parameter', '_has:Observation:subject'],
    ['Patient?_has:Observation:code:code=x', 'Observation.code in _has:Observation:code:code is not a reference parameter', '_has:Observation:code:code'],
    ['Frobnicator?name=x', 'Unknown or unsearchable resource type: Frobnicator', undefined],
  ])('answers %s with a 400 OperationOutcome', async (url, message, expression) => {
    const error = await fixture.search(url).then(
      () => undefined,
      (err: unknown) => err
    );
    expect(error).toBeInstanceOf(OperationOutcomeError);
    const issue = (error as OperationOutcomeError).outcome.issue?.[0];
    expect(issue?.code).toBe('invalid');
    expect(issue?.details?.text).toContain(message);
    if (expression) {
      expect(issue?.expression).toEqual([expression]);
    }
  });

  it('rejects a composite value with the wrong number of components', async () => {
    await expect(fixture.search('Observation?code-value-quantity=x')).rejects.toThrow(
      'Invalid value for composite parameter code-value-quantity: "x" (expected 2 values separated by $)',
    );
  });

  it('rejects a near value that is not a point', async () => {
    await expect(fixture.search('Location?near=north|2|3|km')).rejects.toThrow('Invalid value for special parameter near');
    await expect(fixture.search('Location?near=1|2|3|parsec')).rejects.toThrow('units km, m or [mi_i]');
  });

  it('ignores nothing silently: a hand-built filter on an unknown code fails too', async () => {
    const request: SearchRequest = { resourceType: 'Patient', filters: [{ code: 'x; DROP TABLE resource', operator: 'eq', value: '1' }] };
    await expect(searchBundle(fixture.db.sql, request, { baseUrl: BASE_URL })).rejects.toThrow('Unknown search parameter');
  });
});

describe('extractSearchIndexRows', () => {
  it('indexes a minimal resource of every R4 type without failing', () => {
    initSearchDefinitions();
    for (const resourceType of getResourceTypes()) {
      expect(() => extractSearchIndexRows({ resourceType, id: 'x' } as Resource)).not.toThrow();
    }
  });

  it('splits names into searchable parts and keeps display text apart from codes', () => {
    const rows = extractSearchIndexRows({
      resourceType: 'Patient',
      name: [{ family: 'Ďurík', given: ['Ján'] }],
      maritalStatus: { text: 'Married', coding: [{ system: 'urn:ms', code: 'M', display: 'Married' }] },
      generalPractitioner: [{ reference: 'Practitioner/7' }, { identifier: { system: 'urn:sip', value: '99' } }],
    } as Patient);
    expect(rows.string.filter((r) => r.code === 'family')).toEqual([{ code: 'family', valueRaw: 'Ďurík', valueNorm: 'durik' }]);
    expect(rows.string.filter((r) => r.code === 'name').map((r) => r.valueNorm)).toEqual(['durik', 'jan', 'jan durik']);
    expect(rows.reference).toEqual([
      { code: 'general-practitioner', targetType: 'Practitioner', targetId: '7', targetUrl: null },
      { code: 'general-practitioner', targetType: null, targetId: null, targetUrl: null },
    ]);
    expect(rows.token).toContainEqual({ code: 'general-practitioner:identifier', system: 'urn:sip', value: '99', textNorm: null });
  });
});

describe('index write cost', () => {
  let fixture: SearchFixture;
  const COUNT = 2000;

  beforeAll(async () => {
    fixture = await createSearchFixture();
  });
  afterAll(async () => {
    await fixture.drop();
  });

  it(`indexes ${COUNT} Observations and finds them by code, subject and date`, async () => {
    const { sql } = fixture.db;
    let indexMs = 0;
    for (let i = 0; i < COUNT; i++) {
      const observation = sampleObservation(i);
      // one transaction per resource, as the repository writes them
      await sql.begin(async (tx) => {
        const [{ rid }] = await tx`
          INSERT INTO resource (resource_type, id, version_id, version_seq, last_updated, content)
          VALUES ('Observation', ${observation.id as string}, '1', 1, now(), ${JSON.stringify(observation)}) RETURNING rid`;
        const started = performance.now();
        await writeSearchIndex(tx, String(rid), observation);
        indexMs += performance.now() - started;
      });
    }
    const perResource = indexMs / COUNT;
    console.info(`writeSearchIndex: ${perResource.toFixed(2)} ms per Observation over ${COUNT} (${Math.round(indexMs)} ms total)`);
    // A loose ceiling that only a pathological regression (per-row statements, N+1) would cross.
    expect(perResource).toBeLessThan(25);

    const started = performance.now();
    const bundle = await fixture.search('Observation?code=http://loinc.org|2345-7&subject=Patient/p-8&date=ge2024-01-10&_sort=-date&_total=accurate');
    console.info(`search over ${COUNT} Observations: ${(performance.now() - started).toFixed(1)} ms`);
    const expected = Array.from({ length: COUNT }, (_, i) => sampleObservation(i)).filter(
      (o) =>
        o.code.coding?.[0].code === '2345-7' &&
        o.subject?.reference === 'Patient/p-8' &&
        Date.parse(o.effectiveDateTime as string) >= Date.UTC(2024, 0, 10)
    );
    expect(bundle.total).toBe(expected.length);
    expect(bundle.total).toBeGreaterThan(0);
    const instants = bundle.entry?.map((e) => Date.parse((e.resource as Observation).effectiveDateTime as string)) ?? [];
    expect(instants).toEqual([...instants].sort((a, b) => b - a));
  }, 120_000);
});

function sampleObservation(i: number): Observation {
  const codes = ['2345-7', '718-7', '4548-4', '8867-4'];
  const day = String((i % 28) + 1).padStart(2, '0');
  return {
    resourceType: 'Observation',
    id: `obs-${i}`,
    identifier: [{ system: 'urn:simpul:lab', value: `LAB-${i}` }],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: codes[i % codes.length], display: 'Lab test' }], text: 'Lab test' },
    subject: { reference: `Patient/p-${i % 50}`, display: 'Patient' },
    encounter: { reference: `Encounter/e-${i % 200}` },
    effectiveDateTime: `2024-01-${day}T0${i % 10}:15:00+07:00`,
    issued: `2024-01-${day}T12:00:00Z`,
    performer: [{ reference: 'Organization/lab-1' }],
    valueQuantity: { value: (i % 300) / 10, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
    interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N' }] }],
    referenceRange: [{ low: { value: 3.5 }, high: { value: 5.5 } }],
  };
}
