import type { Invoice, Observation, Resource, RiskAssessment, ValueSet } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const UCUM = 'http://unitsofmeasure.org';

const risk = (id: string, prediction: RiskAssessment['prediction']): RiskAssessment => ({
  resourceType: 'RiskAssessment',
  id,
  status: 'final',
  subject: { reference: 'Patient/x' },
  prediction,
});
const quantity = (id: string, extra: Partial<Observation>): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: 'x' },
  ...extra,
});
const valueSet = (id: string, url: string): ValueSet => ({ resourceType: 'ValueSet', id, status: 'active', url });

const resources: Resource[] = [
  risk('ra1', [{ probabilityDecimal: 0.3 }]),
  risk('ra2', [{ probabilityDecimal: 0.35 }]),
  risk('ra3', [{ probabilityRange: { low: { value: 0.2 }, high: { value: 0.5 } } }]),
  risk('ra4', [{ probabilityDecimal: 100 }]),
  risk('ra5', [{ probabilityRange: { low: { value: 0.9 } } }]),
  quantity('q1', { valueQuantity: { value: 5.4, unit: 'mg/dL', system: UCUM, code: 'mg/dL' } }),
  quantity('q2', { valueQuantity: { value: 5.4, unit: 'mmol/L', system: UCUM, code: 'mmol/L' } }),
  quantity('q3', { valueQuantity: { value: 120, unit: 'mmHg' } }),
  quantity('q4', { valueString: '5.4' }),
  quantity('q5', { valueQuantity: { value: -3.25, unit: 'Cel', system: UCUM, code: 'Cel' } }),
  { resourceType: 'Invoice', id: 'i1', status: 'issued', totalGross: { value: 150000, currency: 'IDR' } } satisfies Invoice,
  valueSet('v1', 'http://example.org/fhir/ValueSet/a'),
  valueSet('v2', 'http://example.org/fhir/ValueSet/ab'),
  valueSet('v3', 'http://other.org/vs'),
];

const cases: [url: string, expected: string[]][] = [
  // number: eq uses the precision of the search value
  ['RiskAssessment?probability=0.3', ['ra1']],
  ['RiskAssessment?probability=0.30', ['ra1']],
  ['RiskAssessment?probability=0.4', ['ra2']],
  ['RiskAssessment?probability=0', ['ra1', 'ra2']],
  ['RiskAssessment?probability=1', []],
  ['RiskAssessment?probability=gt0.3', ['ra2', 'ra3', 'ra4', 'ra5']],
  ['RiskAssessment?probability=lt0.3', ['ra3']],
  ['RiskAssessment?probability=ge0.35', ['ra2', 'ra3', 'ra4', 'ra5']],
  ['RiskAssessment?probability=le0.2', ['ra3']],
  ['RiskAssessment?probability=1e2', ['ra4']],
  // ap: overlaps ±10% of the value (ra5 is 0.9 and up)
  ['RiskAssessment?probability=ap105', ['ra4', 'ra5']],
  ['RiskAssessment?probability=ap0.31', ['ra1', 'ra3']],
  ['RiskAssessment?probability=ap0.8', []],
  ['RiskAssessment?probability=ap0.85', ['ra5']],
  ['RiskAssessment?probability=ne0.3', ['ra2', 'ra3', 'ra4', 'ra5']],
  ['RiskAssessment?probability=sa0.5', ['ra4', 'ra5']],
  ['RiskAssessment?probability=eb0.3', []],
  ['RiskAssessment?probability=eb0.6', ['ra1', 'ra2', 'ra3']],
  ['RiskAssessment?probability=0.3,100', ['ra1', 'ra4']],
  ['RiskAssessment?probability=gt0.3&probability=lt1', ['ra2', 'ra3', 'ra5']],
  // quantity
  ['Observation?value-quantity=5.4', ['q1', 'q2']],
  [`Observation?value-quantity=5.4|${UCUM}|mg/dL`, ['q1']],
  ['Observation?value-quantity=5.4||mmol/L', ['q2']],
  ['Observation?value-quantity=gt100||mmHg', ['q3']],
  ['Observation?value-quantity=gt100||mg/dL', []],
  ['Observation?value-quantity=lt10', ['q1', 'q2', 'q5']],
  ['Observation?value-quantity=-3.25', ['q5']],
  ['Observation?value-quantity=lt0|http://unitsofmeasure.org|Cel', ['q5']],
  ['Observation?value-quantity:missing=true', ['q4']],
  ['Invoice?totalgross=150000|urn:iso:std:iso:4217|IDR', ['i1']],
  ['Invoice?totalgross=ge100000', ['i1']],
  // uri
  ['ValueSet?url=http://example.org/fhir/ValueSet/a', ['v1']],
  ['ValueSet?url=http://example.org/fhir/ValueSet', []],
  ['ValueSet?url:below=http://example.org/fhir', ['v1', 'v2']],
  ['ValueSet?url:above=http://example.org/fhir/ValueSet/a/version/2', ['v1']],
  ['ValueSet?url=http://other.org/vs,http://example.org/fhir/ValueSet/ab', ['v2', 'v3']],
];

describe('number, quantity and uri search', () => {
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

  it.each([
    ['RiskAssessment?probability=abc', 'Invalid value for number parameter probability: "abc"'],
    ['RiskAssessment?probability=0.3%3B DROP TABLE resource', 'Invalid value for number parameter probability'],
    ['Observation?value-quantity=five||mg', 'Invalid value for quantity parameter value-quantity'],
    ['ValueSet?url:contains=example', 'Modifier :contains is not supported for uri parameter url'],
  ])('rejects %s', async (url, message) => {
    await expect(fixture.search(url)).rejects.toThrow(message);
  });
});
