import type { Location, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalQuantity, canonicalUnit } from '../src/search/ucum.ts';
import { createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

const bp = (id: string, systolic: number, diastolic: number): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
    { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: diastolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
  ],
});
const lab = (id: string, code: string, value: number, unit: string): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  valueQuantity: { value, unit, system: UCUM, code: unit },
});
const place = (id: string, latitude: number, longitude: number): Location => ({ resourceType: 'Location', id, name: id, position: { latitude, longitude } });

const resources: Resource[] = [
  bp('bp-high', 150, 95),
  bp('bp-mixed', 150, 70),
  bp('bp-normal', 115, 75),
  lab('glu-mg', '2345-7', 99, 'mg/dL'),
  lab('glu-g', '2345-7', 1.1, 'g/L'),
  lab('glu-mmol', '2345-7', 5.5, 'mmol/L'),
  lab('hb', '718-7', 13.5, 'g/dL'),
  {
    resourceType: 'Observation',
    id: 'concept',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '72166-2' }] },
    valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '8517006' }] },
  },
  {
    resourceType: 'Patient',
    id: 'typed',
    identifier: [
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:mrn', value: 'A7' },
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'NI' }] }, system: 'urn:nik', value: '3201' },
    ],
  } satisfies Patient,
  // Jakarta (Monas), Bogor (~43 km), Bandung (~117 km), Surabaya (~660 km); one without a position
  place('monas', -6.1754, 106.8272),
  place('bogor', -6.5971, 106.806),
  place('bandung', -6.9175, 107.6191),
  place('surabaya', -7.2575, 112.7521),
  { resourceType: 'Location', id: 'nowhere', name: 'nowhere' },
];

const cases: [url: string, expected: string[]][] = [
  // composite: both components in the same element (Observation.component)
  [`Observation?component-code-value-quantity=${LOINC}|8480-6$gt140`, ['bp-high', 'bp-mixed']],
  [`Observation?component-code-value-quantity=${LOINC}|8462-4$gt90`, ['bp-high']],
  [`Observation?component-code-value-quantity=${LOINC}|8480-6$gt140&component-code-value-quantity=${LOINC}|8462-4$gt90`, ['bp-high']],
  // 95 belongs to the diastolic component, not the systolic one: no cross-component match
  [`Observation?component-code-value-quantity=${LOINC}|8480-6$95`, []],
  [`Observation?component-code-value-quantity=8480-6$lt120,8462-4$ge95`, ['bp-high', 'bp-normal']],
  [`Observation?combo-code-value-quantity=8480-6$115`, ['bp-normal']],
  [`Observation?code-value-quantity=${LOINC}|718-7$13.5`, ['hb']],
  [`Observation?code-value-quantity=${LOINC}|718-7$gt14`, []],
  [`Observation?code-value-concept=${LOINC}|72166-2$http://snomed.info/sct|8517006`, ['concept']],
  [`Observation?code-value-concept=72166-2$8517006&code=${LOINC}|72166-2`, ['concept']],
  ['Observation?component-code-value-quantity:missing=false', ['bp-high', 'bp-mixed', 'bp-normal']],
  // UCUM: 99 mg/dL = 0.99 g/L = 990 mg/L; 1.1 g/L = 110 mg/dL
  [`Observation?value-quantity=99|${UCUM}|mg/dL`, ['glu-mg']],
  [`Observation?value-quantity=990|${UCUM}|mg/L`, ['glu-mg']],
  [`Observation?value-quantity=gt1|${UCUM}|g/L&code=2345-7`, ['glu-g']],
  [`Observation?value-quantity=gt1|${UCUM}|g/L`, ['glu-g', 'hb']],
  [`Observation?value-quantity=ge0.9|${UCUM}|g/L&code=2345-7`, ['glu-mg', 'glu-g']],
  [`Observation?value-quantity=lt150|${UCUM}|mg/dL&code=2345-7`, ['glu-mg', 'glu-g']],
  [`Observation?value-quantity=5500|${UCUM}|umol/L`, ['glu-mmol']],
  // a dimension that does not match finds nothing (mg/dL is not mmol/L without a molar mass)
  [`Observation?value-quantity=99|${UCUM}|mmol/L`, []],
  ['Observation?value-quantity=99||mg/dL', ['glu-mg']],
  // token :of-type (identifier type + value)
  ['Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|A7', ['typed']],
  ['Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|3201', []],
  ['Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|NI|3201', ['typed']],
  // near: lat|lng|distance|unit
  ['Location?near=-6.1754|106.8272|50|km', ['monas', 'bogor']],
  ['Location?near=-6.1754|106.8272|150|km', ['monas', 'bogor', 'bandung']],
  ['Location?near=-6.1754|106.8272|30000|m', ['monas']],
  ['Location?near=-6.1754|106.8272|100|[mi_i]', ['monas', 'bogor', 'bandung']],
  ['Location?near=-6.1754|106.8272', ['monas']],
  ['Location?near=-7.25|112.75|5|km', ['surabaya']],
  ['Location?near:missing=true', ['nowhere']],
];

describe('composite, quantity in UCUM, :of-type and near', () => {
  let fixture: SearchFixture;

  beforeAll(async () => {
    fixture = await createSearchFixture();
    for (const resource of resources) {
      await fixture.add(resource);
    }
  });
  afterAll(async () => {
    await fixture.drop();
  });

  it.each(cases)('%s', async (url, expected) => {
    expect(sorted(await fixture.ids(url))).toEqual(sorted(expected));
  });

  it('orders by distance with _sort=near, nearest first (or last with -near)', async () => {
    expect(await fixture.ids('Location?near=-6.9|107.6|1000|km&_sort=near')).toEqual(['bandung', 'bogor', 'monas', 'surabaya']);
    expect(await fixture.ids('Location?near=-6.9|107.6|1000|km&_sort=-near')).toEqual(['surabaya', 'monas', 'bogor', 'bandung']);
    await expect(fixture.search('Location?_sort=near')).rejects.toThrow('_sort=near needs a near parameter');
  });

  it.each([
    ['Observation?component-code-value-quantity=8480-6', 'expected 2 values separated by $'],
    ['Observation?component-code-value-quantity:exact=8480-6$1', 'Modifier :exact is not supported for composite parameter'],
    ['Patient?identifier:of-type=MR|A7', 'expected system|code|value'],
    ['Location?near=95|10|1|km', 'Invalid value for special parameter near'],
  ])('rejects %s', async (url, message) => {
    await expect(fixture.search(url)).rejects.toThrow(message);
  });
});

describe('UCUM canonical units', () => {
  it.each([
    ['mg/dL', 10, 'g.m-3'],
    ['g/L', 1000, 'g.m-3'],
    ['mmol/L', 1, 'm-3.mol'],
    ['umol/L', 1e-3, 'm-3.mol'],
    ['mm[Hg]', 133322.387415, 'g.m-1.s-2'],
    ['/min', 1 / 60, 's-1'],
    ['{beats}/min', 1 / 60, 's-1'],
    ['10*3/uL', 1e12, 'm-3'],
    ['kg/m2', 1000, 'g.m-2'],
    ['%', 0.01, '1'],
    ['[lb_av]', 453.59237, 'g'],
    ['mL/min/{1.73_m2}', 1e-6 / 60, 'm3.s-1'],
    ['(mL/min)/m2', 1e-6 / 60, 'm.s-1'],
  ])('%s', (code, factor, name) => {
    const unit = canonicalUnit(code);
    expect(unit?.name).toBe(name);
    expect(Math.abs((unit?.factor ?? 0) / factor - 1)).toBeLessThan(1e-12);
  });

  it.each(['Cel', '[degF]', '[pH]', 'furlong', '', 'mg/', '((g)', 'g{unclosed'])('has no canonical form for %j', (code) => {
    expect(canonicalUnit(code)).toBeUndefined();
  });

  it('converts a value', () => {
    expect(canonicalQuantity(5, 'mg/dL')).toEqual({ value: 50, unit: 'g.m-3' });
  });
});
