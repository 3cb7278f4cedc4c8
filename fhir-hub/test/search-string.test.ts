import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const patients: Patient[] = [
  {
    resourceType: 'Patient',
    id: 's1',
    name: [{ family: 'Ďurík', given: ['Ján'] }],
    address: [{ line: ['Jl. Merdeka 1'], city: 'Bandung', postalCode: '40111' }],
  },
  { resourceType: 'Patient', id: 's2', name: [{ family: 'Durian', given: ['Budi'] }] },
  {
    resourceType: 'Patient',
    id: 's3',
    name: [{ family: 'Smith', given: ['Anna', 'Maria'], prefix: ['Dr.'] }],
    address: [{ city: 'Jakarta', country: 'ID' }],
  },
  { resourceType: 'Patient', id: 's4', name: [{ text: 'Siti Nurhaliza' }] },
  { resourceType: 'Patient', id: 's5', name: [{ family: "O'Brien", given: ['100%_sure'] }] },
  { resourceType: 'Patient', id: 's6', gender: 'unknown' },
  { resourceType: 'Patient', id: 's7', name: [{ family: 'İnce', given: ['Straße'] }] },
];

const cases: [url: string, expected: string[]][] = [
  // default: starts with, ignoring case and accents, on any part of the name
  ['Patient?name=dur', ['s1', 's2']],
  ['Patient?name=DURÍK', ['s1']],
  ['Patient?family=durik', ['s1']],
  ['Patient?family=duri', ['s1', 's2']],
  ['Patient?given=jan', ['s1']],
  ['Patient?given=maria', ['s3']],
  ['Patient?name=mar', ['s3']],
  ['Patient?name=dr. anna m', ['s3']],
  ['Patient?name=smithers', []],
  ['Patient?name=siti', ['s4']],
  ['Patient?name=nurh', []],
  ['Patient?name=ince', ['s7']],
  ['Patient?given=strasse', []],
  ['Patient?given=straße', ['s7']],
  // :contains
  ['Patient?name:contains=ria', ['s2', 's3']],
  ['Patient?name:contains=NURH', ['s4']],
  ['Patient?address:contains=merdeka', ['s1']],
  // :exact compares the original text
  ['Patient?family:exact=Ďurík', ['s1']],
  ['Patient?family:exact=durik', []],
  ['Patient?family:exact=Durian', ['s2']],
  ['Patient?family:exact=Duria', []],
  // address parts
  ['Patient?address=bandung', ['s1']],
  ['Patient?address=jl. merdeka', ['s1']],
  ['Patient?address=merdeka', []],
  ['Patient?address-city=jak', ['s3']],
  ['Patient?address-postalcode=401', ['s1']],
  ['Patient?address-country=id', ['s3']],
  // OR within a parameter, AND across repeats
  ['Patient?name=duri,smi', ['s1', 's2', 's3']],
  ['Patient?name=dur&given=budi', ['s2']],
  ['Patient?name=dur&name=smi', []],
  ['Patient?name:missing=true', ['s6']],
  ['Patient?name:missing=false', ['s1', 's2', 's3', 's4', 's5', 's7']],
  // quotes and LIKE wildcards are literal text
  ["Patient?name=o'brien", ['s5']],
  ['Patient?given:contains=%25_', ['s5']],
  ['Patient?given:contains=0%25_s', ['s5']],
  ['Patient?given:contains=_', ['s5']],
  ['Patient?name:contains=%25', ['s5']],
  // an empty value is ignored, as the spec says
  ['Patient?name=', ['s1', 's2', 's3', 's4', 's5', 's6', 's7']],
];

describe('string search', () => {
  let fixture: SearchFixture;

  beforeAll(async () => {
    fixture = await createSearchFixture();
    for (const patient of patients) {
      await fixture.add(patient);
    }
  });
  afterAll(async () => {
    await fixture.drop();
  });

  it.each(cases)('%s', async (url, expected) => {
    expect(sorted(await fixture.ids(url))).toEqual(sorted(expected));
  });

  it('treats a hostile value as text and leaves the tables alone', async () => {
    const hostile = encodeURIComponent("'); DROP TABLE resource;--");
    expect(await fixture.ids(`Patient?name=${hostile}`)).toEqual([]);
    expect(await fixture.ids(`Patient?name:contains=${hostile}`)).toEqual([]);
    expect(await fixture.ids(`Patient?name:exact=${hostile}`)).toEqual([]);
    const [{ n }] = await fixture.db.sql`SELECT count(*)::int AS n FROM resource`;
    expect(n).toBe(patients.length);
  });

  it('rejects a modifier strings do not have', async () => {
    await expect(fixture.search('Patient?name:text=x')).rejects.toThrow('Modifier :text is not supported for string parameter name');
  });
});
