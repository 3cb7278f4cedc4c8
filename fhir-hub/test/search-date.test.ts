import type { SearchRequest } from '@medplum/core';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDateRange } from '../src/search/date-range.ts';
import { searchBundle } from '../src/search/index.ts';
import { BASE_URL, createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const today = new Date().toISOString().slice(0, 10);
const twoYearsAgo = `${Number(today.slice(0, 4)) - 2}${today.slice(4)}`;

const patients: Patient[] = [
  { resourceType: 'Patient', id: 'd1', birthDate: '2024' },
  { resourceType: 'Patient', id: 'd2', birthDate: '2024-03-15' },
  { resourceType: 'Patient', id: 'd3', birthDate: '2023-12-31' },
  { resourceType: 'Patient', id: 'd4', birthDate: '2025-01-01' },
  { resourceType: 'Patient', id: 'd5' },
  // not a calendar date: indexed as nothing rather than failing the write
  { resourceType: 'Patient', id: 'd6', birthDate: '2024-02-30' },
];

const observations: Observation[] = [
  { resourceType: 'Observation', id: 'e1', status: 'final', code: {}, effectiveDateTime: '2024-03-15T10:30:00+07:00' },
  { resourceType: 'Observation', id: 'e2', status: 'final', code: {}, effectivePeriod: { start: '2024-03-01', end: '2024-03-31' } },
  { resourceType: 'Observation', id: 'e3', status: 'final', code: {}, effectivePeriod: { start: '2024-03-10' } },
  { resourceType: 'Observation', id: 'e4', status: 'final', code: {}, effectiveInstant: '2024-03-15T23:59:59.999Z' },
];

const cases: [url: string, expected: string[]][] = [
  ['Patient?birthdate=2024', ['d1', 'd2']],
  ['Patient?birthdate=eq2024', ['d1', 'd2']],
  ['Patient?birthdate=2024-03', ['d2']],
  ['Patient?birthdate=2024-03-15', ['d2']],
  ['Patient?birthdate=ne2024', ['d3', 'd4']],
  ['Patient?birthdate=gt2024', ['d4']],
  ['Patient?birthdate=gt2024-06', ['d1', 'd4']],
  ['Patient?birthdate=lt2024', ['d3']],
  ['Patient?birthdate=lt2024-03-15', ['d1', 'd3']],
  ['Patient?birthdate=ge2024-03-15', ['d1', 'd2', 'd4']],
  ['Patient?birthdate=le2024-03-15', ['d1', 'd2', 'd3']],
  ['Patient?birthdate=sa2024', ['d4']],
  ['Patient?birthdate=sa2023-12-31', ['d1', 'd2', 'd4']],
  ['Patient?birthdate=eb2024', ['d3']],
  ['Patient?birthdate=ge2024-01-01&birthdate=lt2025', ['d1', 'd2']],
  ['Patient?birthdate:missing=true', ['d5', 'd6']],
  [`Patient?birthdate=ap${today}`, []],
  // Observation.effective[x]: dateTime with offset, Period, open Period, instant
  ['Observation?date=2024-03-15', ['e1', 'e4']],
  ['Observation?date=2024-03', ['e1', 'e2', 'e4']],
  ['Observation?date=2024', ['e1', 'e2', 'e4']],
  ['Observation?date=gt2024-04', ['e3']],
  ['Observation?date=lt2024-03-05', ['e2']],
  ['Observation?date=sa2024-03-14', ['e1', 'e4']],
  ['Observation?date=eb2024-04-01', ['e1', 'e2', 'e4']],
  ['Observation?date=2024-03-15T10:30:00%2B07:00', ['e1']],
  ['Observation?date=2024-03-15T03:30Z', ['e1']],
  ['Observation?date=2024-03-15T03:31Z', []],
  ['Observation?date=ge2024-03-15T23:59:59.999Z', ['e2', 'e3', 'e4']],
  ['Observation?date=ge2024-04', ['e3']],
];

describe('date search', () => {
  let fixture: SearchFixture;

  beforeAll(async () => {
    fixture = await createSearchFixture();
    for (const resource of [...patients, ...observations]) {
      await fixture.add(resource);
    }
    await fixture.add({ resourceType: 'Patient', id: 'today', birthDate: today });
    await fixture.add({ resourceType: 'Patient', id: 'older', birthDate: twoYearsAgo });
    await fixture.add({ resourceType: 'Patient', id: 'u1' }, '2020-05-10T08:00:00.123Z');
    await fixture.add({ resourceType: 'Patient', id: 'u2' }, '2021-01-01T00:00:00Z');
  });
  afterAll(async () => {
    await fixture.drop();
  });

  it.each(cases)('%s', async (url, expected) => {
    const ids = (await fixture.ids(url)).filter((id) => !['today', 'older', 'u1', 'u2'].includes(id));
    expect(sorted(ids)).toEqual(sorted(expected));
  });

  it('ap matches values near the search date only', async () => {
    expect(await fixture.ids(`Patient?birthdate=ap${today}`)).toEqual(['today']);
  });

  it('ORs comma-separated dates in a URL, each with its own prefix', async () => {
    expect(sorted(await fixture.ids('Patient?birthdate=2023-12-31,ge2025&birthdate=lt2025-01-02'))).toEqual(['d3', 'd4']);
  });

  it('ORs comma-separated dates, each with its own prefix', async () => {
    // as core's SearchRequest carries them (built directly: core's URL parser rejects the commas)
    const request: SearchRequest = {
      resourceType: 'Patient',
      filters: [{ code: 'birthdate', operator: 'eq', value: '2023-12-31,ge2025' }, { code: 'birthdate', operator: 'lt', value: '2025-01-02' }],
    };
    const bundle = await searchBundle(fixture.db.sql, request, { baseUrl: BASE_URL });
    expect(sorted(bundle.entry?.map((e) => e.resource?.id as string) ?? [])).toEqual(['d3', 'd4']);
  });

  it('rejects values that are not dates', async () => {
    await expect(fixture.search('Patient?birthdate=2024-13')).rejects.toThrow('Invalid value for date parameter birthdate: "2024-13"');
    const request: SearchRequest = { resourceType: 'Patient', filters: [{ code: 'birthdate', operator: 'eq', value: 'yesterday' }] };
    await expect(searchBundle(fixture.db.sql, request, { baseUrl: BASE_URL })).rejects.toThrow(
      'Invalid value for date parameter birthdate: "yesterday"'
    );
  });

  it('keeps repeated filters on a multi-valued date parameter apart: each may match a different value', async () => {
    await fixture.add({
      resourceType: 'Goal',
      id: 'g1',
      lifecycleStatus: 'active',
      description: { text: 'two targets' },
      subject: { reference: 'Patient/d1' },
      target: [{ dueDate: '2020-06-01' }, { dueDate: '2024-06-01' }],
    } as Resource);
    expect(await fixture.ids('Goal?target-date=ge2024-01-01&target-date=lt2021-01-01')).toEqual(['g1']);
    // a single-valued one merges into one range (same answer as two separate conditions)
    expect(sorted(await fixture.ids('Observation?date=ge2024-03-15&date=lt2024-03-16'))).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  describe('_lastUpdated reads the resource row', () => {
    it.each([
      ['Patient?_lastUpdated=2020-05', ['u1']],
      ['Patient?_lastUpdated=gt2020-05-31', ['u2']],
      ['Patient?_lastUpdated=lt2020-06&_lastUpdated=ge2020-05-10T08:00:00Z', ['u1']],
      ['Patient?_lastUpdated=2020-05-10T08:00:00.123Z', ['u1']],
      ['Patient?_lastUpdated=2020-05-10T08:00:00.124Z', []],
    ])('%s', async (url, expected) => {
      // every other resource was written now
      const ids = await fixture.ids(url + '&_lastUpdated=lt2022');
      expect(sorted(ids)).toEqual(expected);
    });
  });
});

describe('parseDateRange', () => {
  it.each([
    ['2024', '2024-01-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z'],
    ['2024-02', '2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z'],
    ['2023-02', '2023-02-01T00:00:00.000Z', '2023-02-28T23:59:59.999Z'],
    ['2024-12-31', '2024-12-31T00:00:00.000Z', '2024-12-31T23:59:59.999Z'],
    ['2024-03-15T10:30+07:00', '2024-03-15T03:30:00.000Z', '2024-03-15T03:30:59.999Z'],
    ['2024-03-15T10:30:05Z', '2024-03-15T10:30:05.000Z', '2024-03-15T10:30:05.999Z'],
    ['2024-03-15T10:30:05.5Z', '2024-03-15T10:30:05.500Z', '2024-03-15T10:30:05.599Z'],
    ['2024-03-15T10:30:05.123456Z', '2024-03-15T10:30:05.123Z', '2024-03-15T10:30:05.123Z'],
    ['0050-01-01', '0050-01-01T00:00:00.000Z', '0050-01-01T23:59:59.999Z'],
  ])('%s', (input, low, high) => {
    const range = parseDateRange(input);
    expect(range && [new Date(range.low).toISOString(), new Date(range.high).toISOString()]).toEqual([low, high]);
  });

  it.each(['', '24', '2024-13', '2024-02-30', '2024-01-01T25:00Z', '0000', 'now', '2024-01-01T10:00:61Z'])(
    'rejects %j',
    (input) => {
      expect(parseDateRange(input)).toBeUndefined();
    }
  );
});
