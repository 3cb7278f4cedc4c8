import { newEnvelope, type Envelope } from '@simpul/infra';
import type { Observation } from '@medplum/fhirtypes';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FIXTURE_SOURCE, readFixture } from '../src/ingest/hl7/fixtures/fixture-context.ts';
import { createHubClient, createIngestHandler, HubTerminologyTranslator, type HubClient } from '../src/ingest/worker/index.ts';
import { startHubProcess, type HubProcess } from './support/hub-process.ts';

const logger = pino({ level: 'silent' });
const LAB_SYSTEM = 'https://rsud-sehat.example/cs/lab-test';
const UNMAPPED_EXTENSION = 'https://simpul.dev/fhir/StructureDefinition/unmapped-code';

describe('unmapped codes: marked, reported, and fixed by a map change plus replay', () => {
  let hub: HubProcess;
  let client: HubClient;
  let token: string;
  beforeAll(async () => {
    hub = await startHubProcess();
    client = await createHubClient({ baseUrl: hub.url, clientId: hub.adminClientId, clientSecret: hub.adminClientSecret });
    const res = await fetch(`${hub.url}oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: hub.adminClientId, client_secret: hub.adminClientSecret }),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await hub?.stop();
  });

  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res.json();
  };
  const leukocytes = async (): Promise<Observation> => {
    const bundle = await api('GET', `fhir/R4/Observation?code=${encodeURIComponent(`${LAB_SYSTEM}|WBC`)}`);
    expect(bundle.entry).toHaveLength(1);
    return bundle.entry[0].resource;
  };

  test('an ORU with a local lab code is stored with the code marked, reported, then fixed by a ConceptMap and a replay', async () => {
    const translator = await HubTerminologyTranslator.start(client, logger, 0);
    const handler = createIngestHandler({ hub: client, logger, hl7Sources: { rsudss: FIXTURE_SOURCE }, translator, maxAttempts: 3, duplicateWindowMs: 60_000 });
    const envelope: Envelope<string> = newEnvelope({ kind: 'hl7', source: 'rsudss', contentType: 'x-application/hl7-v2+er7', body: readFixture('oru-r01-lab-v2.5.1.hl7') });

    expect((await handler.handle(envelope)).status).toBe('stored');
    const before = await leukocytes();
    expect(before.code.coding?.[0]).toMatchObject({ system: LAB_SYSTEM, code: 'WBC' });
    expect(before.code.coding?.[0].extension).toEqual([{ url: UNMAPPED_EXTENSION, valueBoolean: true }]);
    expect(before.code.coding?.some((c) => c.system === 'http://loinc.org')).toBe(false);
    const gaps = await api('GET', `admin/terminology/unmapped?system=${encodeURIComponent(LAB_SYSTEM)}`);
    expect(gaps.codes.map((c: any) => c.code)).toContain('WBC');

    await api('PUT', `fhir/R4/ConceptMap?url=${encodeURIComponent('https://rsud-sehat.example/cm/lab-to-loinc')}`, {
      resourceType: 'ConceptMap',
      url: 'https://rsud-sehat.example/cm/lab-to-loinc',
      status: 'active',
      group: [{ source: LAB_SYSTEM, target: 'http://loinc.org', element: [{ code: 'WBC', target: [{ code: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count', equivalence: 'equivalent' }] }] }],
    });
    await translator.refresh();
    expect((await handler.handle({ ...envelope, headers: { replay: 'true' } })).status).toBe('stored');

    const after = await leukocytes();
    expect(after.id).toBe(before.id);
    expect(after.code.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '6690-2' });
    expect(after.code.coding?.find((c) => c.system === LAB_SYSTEM)?.extension).toBeUndefined();
    translator.stop();
  });
});
