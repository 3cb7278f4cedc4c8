import type { Bundle, Observation, Patient, Questionnaire, QuestionnaireResponse, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSETTED_TAG } from '../src/search/subset.ts';
import { createSearchFixture, sorted } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const resources: Resource[] = [
  { resourceType: 'Organization', id: 'org-root', name: 'Dinas Kesehatan' },
  { resourceType: 'Organization', id: 'org-1', name: 'RS Harapan', partOf: { reference: 'Organization/org-root' } },
  {
    resourceType: 'Patient',
    id: 'p1',
    active: true,
    gender: 'female',
    birthDate: '1990-02-03',
    name: [{ family: 'Lestari', given: ['Dewi'] }],
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Dewi Lestari</div>' },
    managingOrganization: { reference: 'Organization/org-1' },
    generalPractitioner: [{ reference: 'Practitioner/dr-1' }],
  } satisfies Patient,
  { resourceType: 'Patient', id: 'p2', name: [{ family: 'Lestari', given: ['Rina'] }] } satisfies Patient,
  { resourceType: 'Practitioner', id: 'dr-1', name: [{ family: 'Hadi' }] },
  obs('o1', 'p1'),
  obs('o2', 'p1'),
  obs('o3', 'p2'),
  { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } },
  { resourceType: 'Questionnaire', id: 'qn1', status: 'active', url: 'http://q.example/Questionnaire/intake', version: '2' } satisfies Questionnaire,
  {
    resourceType: 'QuestionnaireResponse',
    id: 'qr1',
    status: 'completed',
    questionnaire: 'http://q.example/Questionnaire/intake|2',
    subject: { reference: 'Patient/p1' },
  } satisfies QuestionnaireResponse,
];

function obs(id: string, patient: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }], text: 'Heart rate' },
    subject: { reference: `Patient/${patient}` },
    encounter: id === 'o1' ? { reference: 'Encounter/e1' } : undefined,
    valueQuantity: { value: 70, unit: '/min' },
  };
}

function byMode(bundle: Bundle, mode: string): string[] {
  return sorted((bundle.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
}

describe('_include and _revinclude', () => {
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

  it.each([
    ['Observation?_id=o1&_include=Observation:subject', ['Observation/o1'], ['Patient/p1']],
    ['Observation?_id=o1,o3&_include=Observation:subject:Patient', ['Observation/o1', 'Observation/o3'], ['Patient/p1', 'Patient/p2']],
    ['Observation?_id=o1&_include=Observation:subject:Group', ['Observation/o1'], []],
    ['Observation?_id=o1&_include=Observation:subject&_include=Observation:encounter', ['Observation/o1'], ['Encounter/e1', 'Patient/p1']],
    ['Observation?_id=o1&_include=*', ['Observation/o1'], ['Encounter/e1', 'Patient/p1']],
    // :iterate follows the included resources' references too, and only those asked for
    [
      'Observation?_id=o1&_include=Observation:subject&_include:iterate=Patient:organization',
      ['Observation/o1'],
      ['Organization/org-1', 'Patient/p1'],
    ],
    [
      'Observation?_id=o1&_include=Observation:subject&_include:iterate=Patient:organization&_include:iterate=Organization:partof',
      ['Observation/o1'],
      ['Organization/org-1', 'Organization/org-root', 'Patient/p1'],
    ],
    ['Patient?_id=p1&_revinclude=Observation:subject', ['Patient/p1'], ['Observation/o1', 'Observation/o2']],
    ['Patient?_id=p1,p2&_revinclude=Observation:patient', ['Patient/p1', 'Patient/p2'], ['Observation/o1', 'Observation/o2', 'Observation/o3']],
    ['Patient?_id=p1&_revinclude=Encounter:subject&_revinclude:iterate=Observation:encounter', ['Patient/p1'], ['Encounter/e1', 'Observation/o1']],
    [
      'Patient?_id=p2&_revinclude=*',
      ['Patient/p2'],
      ['Observation/o3'],
    ],
    // canonical references: forward to the Questionnaire by url (version ignored), and back
    ['QuestionnaireResponse?_id=qr1&_include=QuestionnaireResponse:questionnaire', ['QuestionnaireResponse/qr1'], ['Questionnaire/qn1']],
    ['Questionnaire?_id=qn1&_revinclude=QuestionnaireResponse:questionnaire', ['Questionnaire/qn1'], ['QuestionnaireResponse/qr1']],
    // an included resource that is also a match appears once, as a match
    ['Organization?_include=Organization:partof', ['Organization/org-1', 'Organization/org-root'], []],
  ])('%s', async (url, matches, included) => {
    const bundle = await fixture.search(url);
    expect(byMode(bundle, 'match')).toEqual(matches);
    expect(byMode(bundle, 'include')).toEqual(included);
    for (const entry of bundle.entry ?? []) {
      expect(entry.fullUrl).toBe(`https://hub.test/fhir/R4/${entry.resource?.resourceType}/${entry.resource?.id}`);
    }
  });

  it('does not include deleted resources', async () => {
    await fixture.add({ resourceType: 'Practitioner', id: 'dr-gone' });
    await fixture.add({ resourceType: 'Patient', id: 'p-gp', generalPractitioner: [{ reference: 'Practitioner/dr-gone' }] });
    expect(byMode(await fixture.search('Patient?_id=p-gp&_include=Patient:general-practitioner'), 'include')).toEqual(['Practitioner/dr-gone']);
    await fixture.markDeleted('Practitioner', 'dr-gone');
    expect(byMode(await fixture.search('Patient?_id=p-gp&_include=Patient:general-practitioner'), 'include')).toEqual([]);
  });

  it.each([
    ['Patient?_include=Patient:name', 'Patient has no reference parameter name'],
    ['Patient?_include=Frob:subject', 'Unknown resource type in _include: Frob'],
    ['Patient?_include=subject', 'expected SourceType:parameter[:TargetType] or *'],
    ['Patient?_revinclude:deep=Observation:subject', 'only :iterate is defined'],
  ])('rejects %s', async (url, message) => {
    await expect(fixture.search(url)).rejects.toThrow(message);
  });
});

describe('_summary and _elements', () => {
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

  const only = async (url: string): Promise<Record<string, unknown>> => {
    const bundle = await fixture.search(url);
    expect(bundle.entry).toHaveLength(1);
    return bundle.entry?.[0].resource as unknown as Record<string, unknown>;
  };

  it('_elements keeps the named elements, id, meta and the mandatory ones, and marks the subset', async () => {
    const patient = await only('Patient?_id=p1&_elements=name,birthDate');
    expect(Object.keys(patient).sort()).toEqual(['birthDate', 'id', 'meta', 'name', 'resourceType']);
    expect((patient.meta as { tag: unknown[] }).tag).toContainEqual(SUBSETTED_TAG);
    const observation = await only('Observation?_id=o1&_elements=value');
    // status and code are mandatory in Observation; value[x] is asked for by its element name
    expect(Object.keys(observation).sort()).toEqual(['code', 'id', 'meta', 'resourceType', 'status', 'valueQuantity']);
  });

  it('_summary=true keeps the summary elements only', async () => {
    const patient = await only('Patient?_id=p1&_summary=true');
    expect(patient.name).toBeDefined();
    expect(patient.birthDate).toBeDefined();
    expect(patient.text).toBeUndefined();
    expect(patient.generalPractitioner).toBeUndefined();
    expect((patient.meta as { tag: unknown[] }).tag).toContainEqual(SUBSETTED_TAG);
  });

  it('_summary=text keeps text and mandatory elements; _summary=data drops text; _summary=false keeps all', async () => {
    expect(Object.keys(await only('Patient?_id=p1&_summary=text')).sort()).toEqual(['id', 'meta', 'resourceType', 'text']);
    const data = await only('Patient?_id=p1&_summary=data');
    expect(data.text).toBeUndefined();
    expect(data.generalPractitioner).toBeDefined();
    const full = await only('Patient?_id=p1&_summary=false');
    expect(full.text).toBeDefined();
    expect((full.meta as { tag?: unknown[] }).tag).toBeUndefined();
  });

  it('rejects an unknown _summary mode', async () => {
    await expect(fixture.search('Patient?_summary=maybe')).rejects.toThrow('_summary must be true, text, data, count or false');
  });
});

describe('_filter', () => {
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

  it.each([
    ['Patient?_filter=family eq "Lestari"', ['p1', 'p2']],
    ['Patient?_filter=family eq "lestari"', []],
    ['Patient?_filter=given sw "de"', ['p1']],
    ['Patient?_filter=name co "rin"', ['p2']],
    ['Patient?_filter=given eq "Dewi" or given eq "Rina"', ['p1', 'p2']],
    ['Patient?_filter=family eq "Lestari" and not (given eq "Dewi")', ['p2']],
    ['Patient?_filter=birthdate ge 1990-01-01 and birthdate lt 1991', ['p1']],
    ['Patient?_filter=gender eq female', ['p1']],
    ['Patient?_filter=gender ne female', ['p2']],
    ['Patient?_filter=gender pr false', ['p2']],
    ['Patient?_filter=organization eq Organization/org-1', ['p1']],
    ['Observation?_filter=subject eq Patient/p1 and value-quantity gt 60', ['o1', 'o2']],
    ['Patient?_filter=name co "a,b"', []],
    ['Patient?family=lestari&_filter=given sw "ri"', ['p2']],
  ])('%s', async (url, expected) => {
    expect(sorted(await fixture.ids(url))).toEqual(sorted(expected));
  });

  it.each([
    ['Patient?_filter=subject.name eq "x"', '_filter path subject.name is not supported'],
    ['Patient?_filter=gender co "fe"', '_filter operator contains is not supported on the token parameter gender'],
    ['Patient?_filter=shoe-size eq 42', 'Unknown search parameter: shoe-size'],
    ['Patient?_filter=family ew "tari"', 'Invalid operator: ew'],
  ])('rejects %s', async (url, message) => {
    await expect(fixture.search(url, 'lenient')).rejects.toThrow(message);
  });
});

describe('unknown parameters', () => {
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

  it('are ignored and reported in an outcome entry under lenient handling', async () => {
    const bundle = await fixture.search('Patient?family=lestari&colour=blue&subject.frob=x', 'lenient');
    expect(byMode(bundle, 'match')).toEqual(['Patient/p1', 'Patient/p2']);
    const outcome = bundle.entry?.find((e) => e.search?.mode === 'outcome')?.resource;
    expect(outcome?.resourceType).toBe('OperationOutcome');
    const texts = (outcome as { issue: { severity: string; details: { text: string } }[] }).issue.map((i) => i.details.text);
    expect(texts).toEqual([expect.stringContaining('Unknown search parameter colour'), expect.stringContaining('subject.frob')]);
  });

  it('are a 400 under strict handling', async () => {
    await expect(fixture.search('Patient?family=lestari&colour=blue', 'strict')).rejects.toThrow('Unknown search parameter: colour');
  });

  it('a bad value is a 400 even under lenient handling', async () => {
    await expect(fixture.search('Patient?birthdate=yesterday', 'lenient')).rejects.toThrow('Invalid value for date parameter birthdate');
  });
});
