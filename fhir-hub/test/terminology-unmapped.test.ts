import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, type TestHub } from './support/test-hub.ts';

const URL = '/admin/terminology/unmapped';
const LAB = 'https://rs-sehat.example/fhir/CodeSystem/lab';
const RAD = 'https://rs-sehat.example/fhir/CodeSystem/radiology-exam';
const LOINC = 'http://loinc.org';
const V2_0001 = 'http://terminology.hl7.org/CodeSystem/v2-0001';
const GENDER = 'http://hl7.org/fhir/administrative-gender';

function sighting(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    system: LAB,
    code: 'GLU-X',
    targetSystem: LOINC,
    count: 1,
    firstSeen: '2025-03-01T08:00:00.000Z',
    lastSeen: '2025-03-01T08:00:00.000Z',
    ...overrides,
  };
}

describe('unmapped-codes report', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  test('batches add up: counts sum, first/last seen widen, the first display and example message stay', async () => {
    const first = await hub.request('POST', URL, {
      entries: [sighting({ count: 3, display: 'Glukosa X', exampleMessageId: 'msg-1', firstSeen: '2025-03-02T08:00:00.000Z', lastSeen: '2025-03-03T08:00:00.000Z' })],
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ recorded: 1 });
    const second = await hub.request('POST', URL, {
      entries: [
        sighting({ count: 2, display: 'Other text', exampleMessageId: 'msg-9', firstSeen: '2025-03-01T08:00:00.000Z', lastSeen: '2025-03-02T09:00:00.000Z' }),
        // The same code twice in one batch is folded together before the upsert.
        sighting({ count: 4, firstSeen: '2025-03-04T08:00:00.000Z', lastSeen: '2025-03-05T08:00:00.000Z' }),
      ],
    });
    expect(second.body).toEqual({ recorded: 1 });
    const report = await hub.request('GET', `${URL}?system=${encodeURIComponent(LAB)}`);
    expect(report.status).toBe(200);
    expect(report.body.total).toBe(1);
    expect(report.body.codes[0]).toEqual({
      system: LAB,
      code: 'GLU-X',
      display: 'Glukosa X',
      targetSystem: LOINC,
      count: 9,
      firstSeen: '2025-03-01T08:00:00.000Z',
      lastSeen: '2025-03-05T08:00:00.000Z',
      exampleMessageId: 'msg-1',
      mappedNow: false,
    });
  });

  test('the same code for another target system, or without one, is its own row', async () => {
    await hub.request('POST', URL, { entries: [sighting({ code: 'HB-X', targetSystem: undefined }), sighting({ code: 'HB-X', targetSystem: 'http://snomed.info/sct' })] });
    const report = await hub.request('GET', `${URL}?system=${encodeURIComponent(LAB)}`);
    const hb = report.body.codes.filter((c: any) => c.code === 'HB-X');
    expect(hb).toHaveLength(2);
    expect(hb.map((c: any) => c.targetSystem ?? null).sort()).toEqual(['http://snomed.info/sct', null]);
  });

  test('most frequent first, then most recently seen; filtered by system; paged with a total', async () => {
    await hub.request('POST', URL, {
      entries: [
        sighting({ system: RAD, code: 'RAD-1', count: 5, lastSeen: '2025-03-10T00:00:00.000Z' }),
        sighting({ system: RAD, code: 'RAD-2', count: 50 }),
        sighting({ system: RAD, code: 'RAD-3', count: 5, lastSeen: '2025-03-11T00:00:00.000Z' }),
      ],
    });
    const all = await hub.request('GET', URL);
    const counts = all.body.codes.map((c: any) => c.count);
    expect(counts).toEqual([...counts].sort((a: number, b: number) => b - a));
    expect(all.body.codes[0].code).toBe('RAD-2');
    const rad = await hub.request('GET', `${URL}?system=${encodeURIComponent(RAD)}`);
    expect(rad.body.codes.map((c: any) => c.code)).toEqual(['RAD-2', 'RAD-3', 'RAD-1']);
    const page = await hub.request('GET', `${URL}?system=${encodeURIComponent(RAD)}&_count=1&_offset=1`);
    expect(page.body.total).toBe(3);
    expect(page.body.codes.map((c: any) => c.code)).toEqual(['RAD-3']);
    const pastEnd = await hub.request('GET', `${URL}?system=${encodeURIComponent(RAD)}&_offset=10`);
    expect(pastEnd.body).toEqual({ total: 3, codes: [] });
  });

  test('mappedNow tells which codes the terminology translates today', async () => {
    await hub.request('POST', URL, {
      entries: [
        sighting({ system: V2_0001, code: 'F', targetSystem: GENDER }),
        sighting({ system: V2_0001, code: 'Z', targetSystem: GENDER }),
        sighting({ system: V2_0001, code: 'M', targetSystem: undefined }),
      ],
    });
    const report = await hub.request('GET', `${URL}?system=${encodeURIComponent(V2_0001)}`);
    const byCode = Object.fromEntries(report.body.codes.map((c: any) => [c.code, c.mappedNow]));
    expect(byCode).toEqual({ F: true, Z: false, M: true });
  });

  test.each([
    ['a body without entries', {}, 'entries'],
    ['an unknown key', { entries: [], extra: 1 }, 'extra'],
    ['a count of 0', { entries: [sighting({ count: 0 })] }, 'entries.0.count'],
    ['a fractional count', { entries: [sighting({ count: 1.5 })] }, 'entries.0.count'],
    ['a missing code', { entries: [sighting({ code: undefined })] }, 'entries.0.code'],
    ['an empty system', { entries: [sighting({ system: '' })] }, 'entries.0.system'],
    ['a date that is not one', { entries: [sighting({ lastSeen: 'yesterday' })] }, 'entries.0.lastSeen'],
    ['firstSeen after lastSeen', { entries: [sighting({ firstSeen: '2025-04-01T00:00:00Z', lastSeen: '2025-03-01T00:00:00Z' })] }, 'entries.0.firstSeen'],
    ['an unknown key in an entry', { entries: [sighting({ sql: 'DROP TABLE unmapped_code' })] }, 'entries.0'],
    ['entries that are not a list', { entries: 'GLU' }, 'entries'],
  ])('POST with %s is 400 naming the field, and records nothing', async (_name, body, field) => {
    const before = await hub.request('GET', `${URL}?_count=500`);
    const response = await hub.request('POST', URL, body);
    expect(response.status).toBe(400);
    expect(response.body.resourceType).toBe('OperationOutcome');
    expect(response.body.issue[0].details.text).toContain(`"${field}`);
    const after = await hub.request('GET', `${URL}?_count=500`);
    expect(after.body).toEqual(before.body);
  });

  test('a batch larger than 10 000 entries is refused', async () => {
    // Short entries, so the body stays under the test hub's 1 MiB limit and the schema answers.
    const entries = Array.from({ length: 10_001 }, (_, i) => ({ system: 'urn:x', code: `C${i}`, count: 1, firstSeen: '2025-03-01', lastSeen: '2025-03-01' }));
    const response = await hub.request('POST', URL, { entries });
    expect(response.status).toBe(400);
    expect(response.body.issue[0].details.text).toContain('"entries"');
  });

  test.each([['_count=0'], ['_count=501'], ['_offset=-1'], ['_count=abc'], ['colour=red']])('GET ?%s is 400', async (query) => {
    const response = await hub.request('GET', `${URL}?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.resourceType).toBe('OperationOutcome');
  });

  test('needs an admin token', async () => {
    expect((await hub.request('GET', URL, undefined, { authorization: '' })).status).toBe(401);
    const reader = await hub.serviceToken('system/*.read');
    const denied = await hub.request('POST', URL, { entries: [sighting()] }, { authorization: `Bearer ${reader}` });
    expect(denied.status).toBe(403);
  });
});
