import type { Encounter, Observation, Organization, Patient, Practitioner, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const MRN = 'urn:mrn';

const resources: Resource[] = [
  { resourceType: 'Organization', id: 'org-a', name: 'Rumah Sakit Harapan', identifier: [{ system: 'urn:org', value: 'RSH' }] } satisfies Organization,
  { resourceType: 'Organization', id: 'org-b', name: 'Klinik Sehat', partOf: { reference: 'Organization/org-a' } } satisfies Organization,
  {
    resourceType: 'Patient',
    id: 'pat-1',
    name: [{ family: 'Santoso', given: ['Budi'] }],
    identifier: [{ system: MRN, value: 'M1' }],
    managingOrganization: { reference: 'Organization/org-a' },
  } satisfies Patient,
  {
    resourceType: 'Patient',
    id: 'pat-2',
    name: [{ family: 'Wijaya', given: ['Sari'] }],
    identifier: [{ system: MRN, value: 'M2' }],
    managingOrganization: { reference: 'Organization/org-b' },
  } satisfies Patient,
  { resourceType: 'Patient', id: 'pat-3', name: [{ family: 'Santoso', given: ['Ani'] }], identifier: [{ system: MRN, value: 'M3' }] } satisfies Patient,
  { resourceType: 'Practitioner', id: 'dr-1', name: [{ family: 'Santoso', given: ['Dokter'] }] } satisfies Practitioner,
  { resourceType: 'Group', id: 'grp-1', type: 'person', actual: true, name: 'Santoso family' },
  obs('obs-1', 'Patient/pat-1', '8867-4', 'Practitioner/dr-1'),
  obs('obs-2', 'Patient/pat-1', '2345-7'),
  obs('obs-3', 'Patient/pat-2', '8867-4'),
  obs('obs-4', 'Group/grp-1', '8867-4'),
  obs('obs-5', 'Patient/pat-gone', '8867-4'),
  { resourceType: 'Encounter', id: 'enc-1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/pat-2' } } satisfies Encounter,
];

function obs(id: string, subject: string, code: string, performer?: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: subject },
    ...(performer ? { performer: [{ reference: performer }] } : {}),
  };
}

const cases: [url: string, expected: string[]][] = [
  // chains with a type modifier, by identifier and by string
  [`Observation?subject:Patient.identifier=${MRN}|M1`, ['obs-1', 'obs-2']],
  ['Observation?subject:Patient.name=santoso', ['obs-1', 'obs-2']],
  ['Observation?subject:Patient.name=santoso&code=8867-4', ['obs-1']],
  ['Observation?subject:Patient.identifier=M9', []],
  // without a type modifier: every target type that has the parameter (Group has no name parameter)
  ['Observation?subject.name=santoso', ['obs-1', 'obs-2']],
  ['Observation?subject._id=grp-1,pat-2', ['obs-3', 'obs-4']],
  ['Observation?patient.identifier=M2', ['obs-3']],
  // several links deep
  ['Observation?subject:Patient.organization.name=rumah', ['obs-1', 'obs-2']],
  ['Observation?subject:Patient.organization.name:contains=harapan', ['obs-1', 'obs-2']],
  ['Observation?subject:Patient.organization.partof.identifier=urn:org|RSH', ['obs-3']],
  ['Observation?subject:Patient.organization:Organization.partof:Organization.name=rumah', ['obs-3']],
  // chains combine with OR inside a value and AND across parameters
  ['Observation?subject:Patient.identifier=M1,M2', ['obs-1', 'obs-2', 'obs-3']],
  ['Observation?subject:Patient.identifier=M1&subject:Patient.name=wijaya', []],
  // a chain ends in any modifier of the last parameter
  ['Observation?subject:Patient.name:exact=Wijaya', ['obs-3']],
  ['Observation?subject:Patient.identifier:missing=false', ['obs-1', 'obs-2', 'obs-3']],
  ['Observation?performer:Practitioner.name=santoso', ['obs-1']],
  // reverse chaining
  ['Patient?_has:Observation:subject:code=8867-4', ['pat-1', 'pat-2']],
  ['Patient?_has:Observation:subject:code=2345-7', ['pat-1']],
  ['Patient?_has:Observation:patient:code=2345-7&name=santoso', ['pat-1']],
  ['Patient?_has:Encounter:subject:status=finished', ['pat-2']],
  ['Patient?_has:Observation:subject:performer:Practitioner.name=santoso', ['pat-1']],
  ['Organization?_has:Patient:organization:_has:Observation:subject:code=8867-4', ['org-a', 'org-b']],
  ['Organization?_has:Patient:organization:_has:Observation:subject:code=2345-7', ['org-a']],
  ['Practitioner?_has:Observation:performer:_id=obs-1', ['dr-1']],
  ['Patient?_has:Observation:subject:code=9999-9', []],
];

describe('chained and reverse-chained search', () => {
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

  it('never follows a chain into a deleted target', async () => {
    await fixture.add({ resourceType: 'Patient', id: 'pat-del', identifier: [{ system: MRN, value: 'MDEL' }] });
    await fixture.add(obs('obs-del', 'Patient/pat-del', '8867-4'));
    expect(await fixture.ids('Observation?subject:Patient.identifier=MDEL')).toEqual(['obs-del']);
    await fixture.markDeleted('Patient', 'pat-del');
    expect(await fixture.ids('Observation?subject:Patient.identifier=MDEL')).toEqual([]);
  });

  it.each([
    ['Observation?subject:Practitioner.name=x', 'subject of Observation cannot point at Practitioner'],
    ['Observation?code.name=x', 'Cannot chain through code: it is a token parameter'],
    ['Observation?subject.nonsense=x', 'Unknown search parameter nonsense on the targets of Observation.subject'],
    ['Patient?_has:Frob:subject:code=x', 'Unknown resource type Frob'],
    ['Patient?_has:Observation:encounter:code=x', 'Observation.encounter cannot point at Patient'],
    ['Observation?subject:Patient.organization.partof.partof.partof.name=x', 'at most 4 links deep'],
  ])('rejects %s', async (url, message) => {
    await expect(fixture.search(url)).rejects.toThrow(message);
  });

  describe('several types at once (_type)', () => {
    it.each([
      ['?_type=Patient,Practitioner&name=santoso', ['pat-1', 'pat-3', 'dr-1']],
      ['?_type=Patient,Practitioner&name=santoso&_sort=-_id', ['pat-3', 'pat-1', 'dr-1']],
      ['?_type=Patient,Organization&_id=pat-2,org-b', ['pat-2', 'org-b']],
    ])('%s', async (url, expected) => {
      const bundle = await fixture.search(url);
      const ids = (bundle.entry ?? []).map((e) => e.resource?.id as string);
      expect(url.includes('_sort') ? ids : sorted(ids)).toEqual(url.includes('_sort') ? expected : sorted(expected));
      expect(bundle.link?.find((l) => l.relation === 'self')?.url).toContain('fhir/R4?');
    });

    it('rejects a parameter one of the types does not have, and a sort on a parameter', async () => {
      await expect(fixture.search('?_type=Patient,Organization&gender=male')).rejects.toThrow('Unknown search parameter: gender (for Organization)');
      await expect(fixture.search('?_type=Patient,Practitioner&_sort=name')).rejects.toThrow('sorts on _id and _lastUpdated only');
      await expect(fixture.search('?name=x')).rejects.toThrow('A system-level search needs _type');
    });
  });
});
