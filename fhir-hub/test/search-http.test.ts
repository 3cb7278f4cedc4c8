import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reindexSearch, SearchParameterRegistry } from '../src/search/index.ts';
import { createTestHub, patient, type TestHub } from './support/test-hub.ts';

const RELIGION = 'https://simpul.dev/fhir/StructureDefinition/religion';
const religionOf = (code: string) => ({ extension: [{ url: RELIGION, valueCoding: { system: 'urn:religion', code } }] });

describe('search over HTTP', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await createTestHub();
    for (const [family, gender] of [['Kusuma', 'female'], ['Kusnadi', 'male'], ['Halim', 'male']]) {
      const created = await hub.request('POST', '/fhir/R4/Patient', patient({ name: [{ family }], gender }));
      expect(created.status).toBe(201);
    }
    await hub.request('POST', '/fhir/R4/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Kusuma' }] });
  });
  afterAll(async () => {
    await hub.close();
  });

  const families = (body: { entry?: { resource: { name?: { family: string }[] } }[] }): string[] =>
    (body.entry ?? []).filter((e) => e.resource.name).map((e) => e.resource.name?.[0].family as string).sort();

  it('ignores an unknown parameter by default and says so in an outcome entry', async () => {
    const res = await hub.request('GET', '/fhir/R4/Patient?family=kus&colour=blue');
    expect(res.status).toBe(200);
    expect(families(res.body)).toEqual(['Kusnadi', 'Kusuma']);
    const outcome = res.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome');
    expect(outcome.resource.issue[0].details.text).toContain('Unknown search parameter colour');
  });

  it('answers 400 for an unknown parameter under Prefer: handling=strict', async () => {
    const res = await hub.request('GET', '/fhir/R4/Patient?family=kus&colour=blue', undefined, { prefer: 'handling=strict' });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].details.text).toBe('Unknown search parameter: colour (for Patient)');
  });

  it('keeps conditional writes strict whatever the Prefer header says', async () => {
    const res = await hub.request('POST', '/fhir/R4/Patient', patient(), { 'if-none-exist': 'colour=blue' });
    expect(res.status).toBe(400);
  });

  it('searches by POST _search with a form body', async () => {
    const res = await hub.request('POST', '/fhir/R4/Patient/_search', 'family=kus&gender=male', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(200);
    expect(families(res.body)).toEqual(['Kusnadi']);
  });

  it('understands _filter', async () => {
    const res = await hub.request('GET', `/fhir/R4/Patient?_filter=${encodeURIComponent('family sw "kus" and gender eq male')}`);
    expect(res.status).toBe(200);
    expect(families(res.body)).toEqual(['Kusnadi']);
  });

  it('searches several types at once', async () => {
    const res = await hub.request('GET', '/fhir/R4?_type=Patient,Practitioner&name=kusuma');
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType).sort()).toEqual(['Patient', 'Practitioner']);
  });

  it('understands what core cannot parse: composites and comma-separated dates', async () => {
    const composite = await hub.request('GET', '/fhir/R4/Observation?code-value-quantity=http://loinc.org|8867-4$gt60');
    expect(composite.status).toBe(200);
    const dates = await hub.request('GET', '/fhir/R4/Patient?birthdate=1980-04-01,1990');
    expect(dates.status).toBe(200);
    expect(dates.body.entry).toHaveLength(3);
  });

  it('never finds a deleted resource (the delete removes its index rows)', async () => {
    const created = await hub.request('POST', '/fhir/R4/Patient', patient({ name: [{ family: 'Sementara' }] }));
    expect(families((await hub.request('GET', '/fhir/R4/Patient?family=sementara')).body)).toEqual(['Sementara']);
    expect((await hub.request('DELETE', `/fhir/R4/Patient/${created.body.id}`)).status).toBe(200);
    const after = await hub.request('GET', '/fhir/R4/Patient?family=sementara&_total=accurate');
    expect(after.body.entry ?? []).toEqual([]);
    expect(after.body.total).toBe(0);
    const [{ n }] = await hub.db.sql`SELECT count(*)::int AS n FROM sp_string s JOIN resource r USING (rid) WHERE r.id = ${created.body.id}`;
    expect(n).toBe(0);
  });

  it('follows cursor next links to the end', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/fhir/R4/Patient?_count=1&_sort=family';
    while (url) {
      const res = await hub.request('GET', url);
      expect(res.status).toBe(200);
      seen.push(...families(res.body));
      const next = res.body.link.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
      url = next?.replace('http://hub.test', '');
    }
    expect(seen).toEqual(['Halim', 'Kusnadi', 'Kusuma']);
  });

  describe('SearchParameters added at run time', () => {
    it('are searchable for new writes at once, and for older ones after a reindex', async () => {
      const before = await hub.request('POST', '/fhir/R4/Patient', patient({ ...religionOf('islam'), name: [{ family: 'Sebelum' }] }));
      expect(before.status).toBe(201);
      // another replica's registry hears about it through NOTIFY
      const replica = new SearchParameterRegistry(hub.db.sql, pino({ level: 'silent' }));
      await replica.start();
      const created = await hub.request('POST', '/fhir/R4/SearchParameter', {
        resourceType: 'SearchParameter',
        url: 'https://simpul.dev/fhir/SearchParameter/patient-religion',
        name: 'religion',
        status: 'active',
        description: 'Religion of the patient',
        code: 'religion',
        base: ['Patient'],
        type: 'token',
        expression: `Patient.extension.where(url = '${RELIGION}').value`,
      });
      expect(created.status).toBe(201);
      const after = await hub.request('POST', '/fhir/R4/Patient', patient({ ...religionOf('islam'), name: [{ family: 'Sesudah' }] }));
      expect(after.status).toBe(201);

      const strict = { prefer: 'handling=strict' };
      const found = await hub.request('GET', '/fhir/R4/Patient?religion=urn:religion|islam', undefined, strict);
      expect(found.status).toBe(200);
      expect(families(found.body)).toEqual(['Sesudah']);

      const progress: number[] = [];
      const indexed = await reindexSearch(hub.db.sql, {
        resourceType: 'Patient',
        logger: pino({ level: 'silent' }),
        batchSize: 2,
        onProgress: (p) => progress.push(p.done),
      });
      const [{ n }] = await hub.db.sql`SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Patient' AND NOT deleted`;
      expect(indexed).toBe(n);
      expect(progress.at(-1)).toBe(n);
      // every live resource of every type, rids from 1 on (batches must follow rid order, not text order)
      for (let i = 0; i < 6; i++) await hub.request('POST', '/fhir/R4/Practitioner', { resourceType: 'Practitioner' });
      const [{ live, maxRid }] = await hub.db.sql`SELECT count(*)::int AS live, max(rid)::int AS "maxRid" FROM resource WHERE NOT deleted`;
      expect(maxRid).toBeGreaterThan(10);
      expect(await reindexSearch(hub.db.sql, { logger: pino({ level: 'silent' }), batchSize: 3 })).toBe(live);
      const all = await hub.request('GET', '/fhir/R4/Patient?religion=islam', undefined, strict);
      expect(families(all.body)).toEqual(['Sebelum', 'Sesudah']);

      for (let i = 0; i < 100 && replica.registered().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(replica.registered().map((p) => p.code)).toEqual(['religion']);
      await replica.stop();

      // retiring it removes it again
      const retired = await hub.request('PUT', `/fhir/R4/SearchParameter/${created.body.id}`, { ...created.body, status: 'retired' });
      expect(retired.status).toBe(200);
      const gone = await hub.request('GET', '/fhir/R4/Patient?religion=islam', undefined, strict);
      expect(gone.status).toBe(400);
    });

    it('rejects an active SearchParameter the hub could not index, and stores nothing', async () => {
      const res = await hub.request('POST', '/fhir/R4/SearchParameter', {
        resourceType: 'SearchParameter',
        url: 'https://simpul.dev/fhir/SearchParameter/broken',
        name: 'broken',
        status: 'active',
        description: 'broken',
        code: 'broken',
        base: ['Patient'],
        type: 'token',
        expression: 'Patient.name.where(',
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('SearchParameter.expression');
      // parses, but core's FHIRPath has no extension(url): caught before it could break Patient writes
      const unevaluable = await hub.request('POST', '/fhir/R4/SearchParameter', {
        resourceType: 'SearchParameter',
        url: 'https://simpul.dev/fhir/SearchParameter/unevaluable',
        name: 'unevaluable',
        status: 'active',
        description: 'unevaluable',
        code: 'unevaluable',
        base: ['Patient'],
        type: 'token',
        expression: `Patient.extension('${RELIGION}').value`,
      });
      expect(unevaluable.status).toBe(400);
      expect(unevaluable.body.issue[0].details.text).toContain('cannot be evaluated');
      expect((await hub.request('POST', '/fhir/R4/Patient', patient())).status).toBe(201);
      const stored = await hub.request('GET', '/fhir/R4/SearchParameter?code=broken');
      expect(stored.body.entry ?? []).toHaveLength(0);
    });
  });
});
