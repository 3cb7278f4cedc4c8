import type { Bundle, CodeableConcept, ConceptMap, Observation } from '@medplum/fhirtypes';
import {
  createTranslator,
  isMarkedUnmapped,
  loadStarterContent,
  markUnmapped,
  TerminologyStore,
  UnmappedCodeTracker,
  type Translator,
} from '@simpul/terminology';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, type TestHub } from './support/test-hub.ts';

/**
 * "A map change plus replay fixes a previously unmapped Observation code", at the level reachable
 * inside the hub's workspace: a stand-in for the ingest mapper (below) translates with
 * `@simpul/terminology`'s translator over the ConceptMaps it reads from the hub, writes the
 * Observation with a conditional update on its business identifier, and reports what it could
 * not map. The end-to-end replay through the ingest worker and the message store is the lead's.
 */

const FHIR = '/fhir/R4';
const LAB = 'https://rs-sehat.example/fhir/CodeSystem/lab';
const LOINC = 'http://loinc.org';
const RESULT_IDS = 'https://rs-sehat.example/fhir/lab-result-id';

interface LabResultMessage {
  messageId: string;
  resultId: string;
  code: string;
  display: string;
  value: number;
  unit: string;
}

/** What an OBX mapper does with one coded field: the mapped LOINC code plus the original, or the original marked. */
function mapLabResult(message: LabResultMessage, translator: Translator, tracker: UnmappedCodeTracker): Observation {
  const original = { system: LAB, code: message.code, display: message.display };
  const outcome = translator.translateCoding(original, LOINC);
  let code: CodeableConcept;
  if (outcome.mapped) {
    code = { coding: [outcome.coding, original], text: message.display };
  } else {
    tracker.record({ system: LAB, code: message.code, display: message.display, targetSystem: LOINC, messageId: message.messageId });
    code = markUnmapped({ coding: [outcome.coding], text: message.display });
  }
  return {
    resourceType: 'Observation',
    identifier: [{ system: RESULT_IDS, value: message.resultId }],
    status: 'final',
    code,
    valueQuantity: { value: message.value, unit: message.unit, system: 'http://unitsofmeasure.org', code: message.unit },
  };
}

describe('a ConceptMap fix plus a replay fixes a previously unmapped Observation code', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  /** The worker's view of the terminology: starter content plus every ConceptMap the hub holds. */
  async function workerTranslator(): Promise<Translator> {
    const store = new TerminologyStore();
    await loadStarterContent(store);
    const maps = await hub.request('GET', `${FHIR}/ConceptMap?_count=100`);
    expect(maps.status).toBe(200);
    store.addAll(((maps.body as Bundle<ConceptMap>).entry ?? []).map((entry) => entry.resource as ConceptMap));
    return createTranslator(store);
  }

  async function ingest(message: LabResultMessage, tracker: UnmappedCodeTracker): Promise<{ status: number; body: Observation }> {
    const observation = mapLabResult(message, await workerTranslator(), tracker);
    const response = await hub.request('PUT', `${FHIR}/Observation?identifier=${encodeURIComponent(`${RESULT_IDS}|${message.resultId}`)}`, observation);
    return { status: response.status, body: response.body as Observation };
  }

  test('unmapped → reported → map written → replay maps it on the same Observation', async () => {
    const message: LabResultMessage = { messageId: 'b4c1f1d0-0000-4000-8000-000000000001', resultId: 'R-1001', code: 'GLU-F', display: 'Glukosa puasa', value: 5.4, unit: 'mmol/L' };

    // 1. No map yet: the Observation keeps the local code, marked, and the gap is reported.
    const tracker = new UnmappedCodeTracker();
    const first = await ingest(message, tracker);
    expect(first.status).toBe(201);
    expect(first.body.code.coding).toHaveLength(1);
    expect(first.body.code.coding?.[0]).toMatchObject({ system: LAB, code: 'GLU-F' });
    expect(isMarkedUnmapped(first.body.code.coding![0])).toBe(true);
    const reported = await hub.request('POST', '/admin/terminology/unmapped', { entries: tracker.report() });
    expect(reported.body).toEqual({ recorded: 1 });
    const gaps = await hub.request('GET', `/admin/terminology/unmapped?system=${encodeURIComponent(LAB)}`);
    expect(gaps.body.codes).toEqual([
      expect.objectContaining({ code: 'GLU-F', display: 'Glukosa puasa', count: 1, exampleMessageId: message.messageId, mappedNow: false }),
    ]);
    const byLoinc = await hub.request('GET', `${FHIR}/Observation?code=${encodeURIComponent(`${LOINC}|1558-6`)}`);
    expect(byLoinc.body.entry ?? []).toHaveLength(0);

    // 2. The engineer writes the missing map; the report now says the code translates.
    const map = await hub.request('POST', `${FHIR}/ConceptMap`, {
      resourceType: 'ConceptMap',
      url: 'https://rs-sehat.example/fhir/ConceptMap/lab-to-loinc',
      status: 'active',
      group: [{ source: LAB, target: LOINC, element: [{ code: 'GLU-F', target: [{ code: '1558-6', display: 'Fasting glucose', equivalence: 'equivalent' }] }] }],
    });
    expect(map.status).toBe(201);
    const after = await hub.request('GET', `/admin/terminology/unmapped?system=${encodeURIComponent(LAB)}`);
    expect(after.body.codes[0].mappedNow).toBe(true);

    // 3. Replaying the example message updates the same Observation: LOINC first, original kept, no mark.
    const replayTracker = new UnmappedCodeTracker();
    const replayed = await ingest(message, replayTracker);
    expect(replayed.status).toBe(200);
    expect(replayed.body.id).toBe(first.body.id);
    expect(replayed.body.meta?.versionId).not.toBe(first.body.meta?.versionId);
    expect(replayed.body.code.coding?.[0]).toMatchObject({ system: LOINC, code: '1558-6' });
    expect(replayed.body.code.coding?.[1]).toMatchObject({ system: LAB, code: 'GLU-F' });
    expect(replayed.body.code.coding?.some(isMarkedUnmapped)).toBe(false);
    expect(replayTracker.size).toBe(0);
    const found = await hub.request('GET', `${FHIR}/Observation?code=${encodeURIComponent(`${LOINC}|1558-6`)}`);
    expect(found.body.entry.map((e: any) => e.resource.id)).toEqual([first.body.id]);

    // 4. Replaying again changes nothing: same version, still one Observation for the result id.
    const again = await ingest(message, new UnmappedCodeTracker());
    expect(again.body.meta?.versionId).toBe(replayed.body.meta?.versionId);
    const all = await hub.request('GET', `${FHIR}/Observation?identifier=${encodeURIComponent(`${RESULT_IDS}|R-1001`)}`);
    expect(all.body.entry).toHaveLength(1);
  });
});
