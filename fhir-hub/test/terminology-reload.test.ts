import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Sql } from '../src/db/connect.ts';
import { buildHub, type Hub, type HubOptions } from '../src/http/build-hub.ts';
import { createTestDatabase } from './support/test-database.ts';
import { createTestHub, TEST_BASE_URL, type TestHub } from './support/test-hub.ts';

const FHIR = '/fhir/R4';
const LOCAL_XRAY = 'https://rs-sehat.example/fhir/CodeSystem/radiology-exam';
const LOINC = 'http://loinc.org';
const MAP_URL = 'https://rs-sehat.example/fhir/ConceptMap/radiology-to-loinc';

function xrayMap(targetCode: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'ConceptMap',
    url: MAP_URL,
    status: 'active',
    group: [{ source: LOCAL_XRAY, target: LOINC, element: [{ code: 'RAD-THORAX-PA', target: [{ code: targetCode, equivalence: 'equivalent' }] }] }],
    ...extra,
  };
}

function translatedCodes(body: any): string[] {
  return (body.parameter ?? [])
    .filter((p: any) => p.name === 'match')
    .map((p: any) => p.part.find((part: any) => part.name === 'concept')?.valueCoding?.code);
}

function hubOptions(sql: Sql, storageDir: string): HubOptions {
  return {
    sql,
    logger: pino({ level: 'silent' }),
    baseUrl: TEST_BASE_URL,
    storageDir,
    maxBodyBytes: 1024 * 1024,
    maxBinaryBytes: 4 * 1024 * 1024,
    maxQueryStringLength: 2048,
    auth: { audit: false },
  };
}

const TRANSLATE_THORAX = `${FHIR}/ConceptMap/$translate?system=${LOCAL_XRAY}&code=RAD-THORAX-PA&targetsystem=${LOINC}`;

describe('terminology follows what is written to the hub', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  test('a ConceptMap written through FHIR changes $translate on the next request: create, update, delete', async () => {
    const before = await hub.request('GET', TRANSLATE_THORAX);
    expect(before.body.parameter[0]).toEqual({ name: 'result', valueBoolean: false });

    const created = await hub.request('PUT', `${FHIR}/ConceptMap/thorax`, xrayMap('24648-8', { id: 'thorax' }));
    expect(created.status).toBeLessThan(300);
    const afterCreate = await hub.request('GET', TRANSLATE_THORAX);
    expect(translatedCodes(afterCreate.body)).toEqual(['24648-8']);

    const updated = await hub.request('PUT', `${FHIR}/ConceptMap/thorax`, xrayMap('36554-4', { id: 'thorax' }));
    expect(updated.status).toBe(200);
    const afterUpdate = await hub.request('GET', TRANSLATE_THORAX);
    expect(translatedCodes(afterUpdate.body)).toEqual(['36554-4']);

    expect((await hub.request('DELETE', `${FHIR}/ConceptMap/thorax`)).status).toBe(200);
    const afterDelete = await hub.request('GET', TRANSLATE_THORAX);
    expect(afterDelete.body.parameter[0]).toEqual({ name: 'result', valueBoolean: false });
  });

  test('a CodeSystem stored in the hub wins over the starter content with the same url', async () => {
    const url = 'http://hl7.org/fhir/administrative-gender';
    const before = await hub.request('GET', `${FHIR}/CodeSystem/$lookup?system=${url}&code=waria`);
    expect(before.status).toBe(404);
    const stored = await hub.request('POST', `${FHIR}/CodeSystem`, {
      resourceType: 'CodeSystem',
      url,
      name: 'LocalGender',
      status: 'active',
      content: 'complete',
      concept: [{ code: 'waria', display: 'Waria' }],
    });
    expect(stored.status).toBe(201);
    const after = await hub.request('GET', `${FHIR}/CodeSystem/$lookup?system=${url}&code=waria`);
    expect(after.status).toBe(200);
    expect(after.body.parameter).toContainEqual({ name: 'name', valueString: 'LocalGender' });
    expect((await hub.request('DELETE', `${FHIR}/CodeSystem/${stored.body.id}`)).status).toBe(200);
    const restored = await hub.request('GET', `${FHIR}/CodeSystem/$lookup?system=${url}&code=female`);
    expect(restored.status).toBe(200);
  });

  test('a terminology resource the service could not use is refused with every problem, and nothing is stored', async () => {
    const response = await hub.request('PUT', `${FHIR}/ConceptMap/refused`, {
      resourceType: 'ConceptMap',
      id: 'refused',
      status: 'active',
      group: [{ source: LOCAL_XRAY, target: LOINC, element: [{ code: 'A', target: [{ code: 'x', equivalence: 'equivalent' }] }, { code: 'A' }] }],
    });
    expect(response.status).toBe(400);
    const texts = response.body.issue.map((issue: any) => issue.details.text).join('\n');
    expect(texts).toContain('ConceptMap.url: is required');
    expect(texts).toContain('code "A" appears in more than one element');
    expect(response.body.issue[1].expression).toEqual(['ConceptMap.group[0].element[1].code']);
    expect(response.body.issue[0].details.coding[0].code).toBe('SIMPUL-TERM-006');
    expect((await hub.request('GET', `${FHIR}/ConceptMap/refused`)).status).toBe(404);
  });

  test('a map in a transaction that rolls back never reaches $translate', async () => {
    const response = await hub.request('POST', FHIR, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: xrayMap('99999-9', { id: 'rolled-back' }), request: { method: 'PUT', url: 'ConceptMap/rolled-back' } },
        { resource: { resourceType: 'Patient', gender: 'sideways' }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(response.status).toBe(400);
    const after = await hub.request('GET', TRANSLATE_THORAX);
    expect(after.body.parameter[0]).toEqual({ name: 'result', valueBoolean: false });
    expect((await hub.request('GET', `${FHIR}/ConceptMap/rolled-back`)).status).toBe(404);
  });

  test('another replica on the same database picks the change up from the notification', async () => {
    const replica: Hub = await buildHub(hubOptions(hub.db.sql, hub.storageDir));
    try {
      const viaReplica = async (): Promise<string[]> => {
        const response = await replica.app.inject({ method: 'GET', url: TRANSLATE_THORAX, headers: { authorization: `Bearer ${hub.adminToken}` } });
        expect(response.statusCode).toBe(200);
        return translatedCodes(JSON.parse(response.body));
      };
      expect(await viaReplica()).toEqual([]);
      expect((await hub.request('PUT', `${FHIR}/ConceptMap/thorax-replica`, xrayMap('24648-8', { id: 'thorax-replica' }))).status).toBeLessThan(300);
      await vi.waitFor(async () => expect(await viaReplica()).toEqual(['24648-8']), { timeout: 5000, interval: 20 });
      expect((await hub.request('DELETE', `${FHIR}/ConceptMap/thorax-replica`)).status).toBe(200);
      await vi.waitFor(async () => expect(await viaReplica()).toEqual([]), { timeout: 5000, interval: 20 });
    } finally {
      await replica.app.close();
    }
  });
});

describe('read-your-writes on the replica that wrote', () => {
  test('without any notification, the next operation sees a map this replica committed', async () => {
    const hub = await createTestHub();
    try {
      // Deaf to NOTIFY: only the writing transaction's id, checked on the next request, can reload it.
      await hub.terminology.stop();
      expect((await hub.request('PUT', `${FHIR}/ConceptMap/deaf`, xrayMap('24648-8', { id: 'deaf' }))).status).toBeLessThan(300);
      expect(translatedCodes((await hub.request('GET', TRANSLATE_THORAX)).body)).toEqual(['24648-8']);
      expect((await hub.request('PUT', `${FHIR}/ConceptMap/deaf`, xrayMap('36554-4', { id: 'deaf' }))).status).toBe(200);
      expect(translatedCodes((await hub.request('GET', TRANSLATE_THORAX)).body)).toEqual(['36554-4']);
    } finally {
      await hub.close();
    }
  });
});

describe('terminology loaded at start from config', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simpul-terminology-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('files named in terminology.load are served; starterContent: false leaves the starter content out', async () => {
    const file = join(dir, 'radiology-to-loinc.csv');
    await writeFile(
      file,
      [
        `# url: ${MAP_URL}`,
        `# source: ${LOCAL_XRAY}`,
        'source_code,source_display,target_system,target_code,target_display,equivalence',
        `RAD-THORAX-PA,Thorax PA,${LOINC},24648-8,XR Chest PA upright,equivalent`,
      ].join('\n'),
    );
    const hub = await createTestHub({ terminology: { starterContent: false, load: [file] } });
    try {
      const translated = await hub.request('GET', TRANSLATE_THORAX);
      expect(translatedCodes(translated.body)).toEqual(['24648-8']);
      const starter = await hub.request('GET', `${FHIR}/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=male`);
      expect(starter.status).toBe(404);
    } finally {
      await hub.close();
    }
  });

  test('a file with bad rows stops the hub, naming every bad line', async () => {
    const file = join(dir, 'broken.csv');
    await writeFile(
      file,
      [
        `# source: ${LOCAL_XRAY}`,
        'source_code,source_display,target_system,target_code,target_display,equivalence',
        `A,Alpha,${LOINC},1-1,One,equivalent`,
        `B,Beta,${LOINC},2-2,Two,same`,
        `C,Gamma,${LOINC},,,equivalent`,
      ].join('\n'),
    );
    // Built by hand: createTestHub would leave its database behind when buildHub throws.
    const db = await createTestDatabase();
    let failure: (Error & { format?: () => string }) | undefined;
    try {
      const hub = await buildHub({ ...hubOptions(db.sql, dir), terminology: { load: [file] } });
      await hub.app.close();
    } catch (err) {
      failure = err as Error & { format?: () => string };
    } finally {
      await db.drop();
    }
    expect(failure).toBeDefined();
    const text = failure?.format?.() ?? String(failure);
    expect(text).toContain('broken.csv:4');
    expect(text).toContain('broken.csv:5');
  });
});
