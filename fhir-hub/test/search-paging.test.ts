import type { Bundle, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, createSearchFixture } from './search-fixture.ts';
import type { SearchFixture } from './search-fixture.ts';

const PAGED = 45;
const idOrder = Array.from({ length: PAGED }, (_, i) => `page-${String(i).padStart(2, '0')}`);
// Inserted in reverse id order: the default order is insertion order, which differs from id order.
const pagedIds = [...idOrder].reverse();

// For sorting: family, birthDate, lastUpdated
const sortable: [id: string, family: string | undefined, birthDate: string | undefined, lastUpdated: string][] = [
  ['sa', 'Bravo', '2000-05-01', '2024-01-03T00:00:00Z'],
  ['sb', 'alpha', '2000-05-01', '2024-01-01T00:00:00Z'],
  ['sc', 'Charlie', '1990-01-01', '2024-01-02T00:00:00Z'],
  ['sd', 'Álvarez', '1990-01-01', '2024-01-05T00:00:00Z'],
  ['se', undefined, '1995-01-01', '2024-01-04T00:00:00Z'],
  ['sf', 'Delta', undefined, '2024-01-06T00:00:00Z'],
];

function entryIds(bundle: Bundle): string[] {
  return (bundle.entry ?? []).map((e) => e.resource?.id as string);
}

function link(bundle: Bundle, relation: string): string | undefined {
  return bundle.link?.find((l) => l.relation === relation)?.url;
}

/** The search a paging link names, relative to the FHIR base, as a client would follow it. */
function linkTarget(url: string): string {
  expect(url.startsWith(`${BASE_URL}fhir/R4/`)).toBe(true);
  return url.slice(`${BASE_URL}fhir/R4/`.length);
}

describe('paging, totals and links', () => {
  let fixture: SearchFixture;

  beforeAll(async () => {
    fixture = await createSearchFixture();
    // inserted out of order so that id order differs from insertion order
    for (const id of pagedIds) {
      await fixture.add({ resourceType: 'Patient', id, name: [{ family: 'Pager' }] });
    }
    for (const [id, family, birthDate, lastUpdated] of sortable) {
      const patient: Patient = { resourceType: 'Patient', id, name: family ? [{ family }] : undefined, birthDate, gender: 'other' };
      await fixture.add(patient, lastUpdated);
    }
  });
  afterAll(async () => {
    await fixture.drop();
  });

  it('defaults to 20 per page, with no total while more pages follow', async () => {
    const bundle = await fixture.search('Patient?family=pager');
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('searchset');
    expect(entryIds(bundle)).toEqual(pagedIds.slice(0, 20));
    expect(bundle.total).toBeUndefined();
    expect(link(bundle, 'self')).toBe(`${BASE_URL}fhir/R4/Patient?_count=20&family=pager`);
    // the next page is a keyset cursor: it starts after the last row, however deep
    expect(link(bundle, 'next')).toMatch(new RegExp(`^${BASE_URL}fhir/R4/Patient\\?_count=20&_cursor=[A-Za-z0-9_-]+&family=pager$`));
    expect(link(bundle, 'previous')).toBeUndefined();
    const first = bundle.entry?.[0];
    expect(first?.fullUrl).toBe(`${BASE_URL}fhir/R4/Patient/page-44`);
    expect(first?.search?.mode).toBe('match');
    expect(first?.resource?.meta?.versionId).toBe('1');
  });

  it.each([7, 10, 15, 45, 100])('following next links with _count=%i visits every match exactly once', async (count) => {
    const seen: string[] = [];
    let next: string | undefined = `Patient?family=pager&_count=${count}`;
    let last: Bundle | undefined;
    for (let pages = 0; next && pages < 20; pages++) {
      last = await fixture.search(next);
      seen.push(...entryIds(last));
      const nextUrl = link(last, 'next');
      next = nextUrl && linkTarget(nextUrl);
    }
    expect(seen).toEqual(pagedIds);
    // cursor pages do not know their offset, so only a single page knows the total for free
    expect(last?.total).toBe(count >= PAGED ? PAGED : undefined);
  });

  it('pages by _offset when the client asks for offsets, and then links by offset', async () => {
    const seen: string[] = [];
    let next: string | undefined = 'Patient?family=pager&_count=10&_offset=0';
    for (let pages = 0; next && pages < 20; pages++) {
      const bundle = await fixture.search(next);
      seen.push(...entryIds(bundle));
      const nextUrl = link(bundle, 'next');
      next = nextUrl && linkTarget(nextUrl);
      if (next && seen.length > 0) expect(next).toContain('_offset=');
    }
    expect(seen).toEqual(pagedIds);
  });

  it('links a middle page to the first and previous pages', async () => {
    const bundle = await fixture.search('Patient?family=pager&_count=10&_offset=25');
    expect(entryIds(bundle)).toEqual(pagedIds.slice(25, 35));
    expect(link(bundle, 'first')).toBe(`${BASE_URL}fhir/R4/Patient?_count=10&family=pager`);
    expect(link(bundle, 'previous')).toBe(`${BASE_URL}fhir/R4/Patient?_count=10&_offset=15&family=pager`);
    expect(link(bundle, 'next')).toBe(`${BASE_URL}fhir/R4/Patient?_count=10&_offset=35&family=pager`);
  });

  it('gives the total for free on the last page', async () => {
    const bundle = await fixture.search('Patient?family=pager&_count=10&_offset=40');
    expect(entryIds(bundle)).toEqual(pagedIds.slice(40));
    expect(bundle.total).toBe(PAGED);
    expect(link(bundle, 'next')).toBeUndefined();
  });

  it('counts when _total=accurate', async () => {
    const bundle = await fixture.search('Patient?family=pager&_count=5&_total=accurate');
    expect(entryIds(bundle)).toHaveLength(5);
    expect(bundle.total).toBe(PAGED);
  });

  it('answers _summary=count with the total and no entries', async () => {
    const bundle = await fixture.search('Patient?family=pager&_summary=count');
    expect(bundle.total).toBe(PAGED);
    expect(bundle.entry).toEqual([]);
  });

  it('leaves the total out when _total=none', async () => {
    const bundle = await fixture.search('Patient?family=pager&_count=100&_total=none');
    expect(entryIds(bundle)).toHaveLength(PAGED);
    expect(bundle.total).toBeUndefined();
  });

  it('answers an offset past the end with an empty page', async () => {
    const bundle = await fixture.search('Patient?family=pager&_offset=500');
    expect(bundle.entry).toEqual([]);
    expect(bundle.total).toBeUndefined();
    expect(link(bundle, 'previous')).toBe(`${BASE_URL}fhir/R4/Patient?_count=20&_offset=480&family=pager`);
  });

  it('keeps _include in the paging links', async () => {
    const bundle = await fixture.search('Patient?family=pager&_count=2&_include=Patient:organization');
    expect(entryIds(bundle)).toEqual(pagedIds.slice(0, 2));
    expect(link(bundle, 'next')).toMatch(/_count=2&_cursor=[^&]+&_include=Patient:organization&family=pager$/);
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['a forged value', Buffer.from(JSON.stringify({ p: 0, k: ["'; DROP TABLE resource;--"], r: '1' })).toString('base64url')],
    ['a forged rid', Buffer.from(JSON.stringify({ p: 0, k: [], r: '1 OR 1=1' })).toString('base64url')],
  ])('rejects a _cursor that is %s', async (_what, cursor) => {
    await expect(fixture.search(`Patient?family=pager&_sort=birthdate&_cursor=${encodeURIComponent(cursor)}`)).rejects.toThrow('Invalid _cursor');
  });

  it('answers _total=estimate with the planner estimate (a number) and _total=accurate exactly', async () => {
    const estimate = await fixture.search('Patient?family=pager&_count=5&_total=estimate');
    expect(typeof estimate.total).toBe('number');
    expect(estimate.total).toBeGreaterThan(0);
    const accurate = await fixture.search('Patient?family=pager&_count=5&_total=accurate');
    expect(accurate.total).toBe(PAGED);
  });

  it('caps _count at 1000', async () => {
    const bundle = await fixture.search('Patient?family=pager&_count=5000');
    expect(entryIds(bundle)).toHaveLength(PAGED);
    expect(link(bundle, 'self')).toContain('_count=1000');
  });

  it.each(['_count=-1', '_count=abc', '_offset=-5', '_offset=x', '_offset=99999999999999999999'])('rejects %s', async (param) => {
    await expect(fixture.search(`Patient?${param}`)).rejects.toThrow(/_count|_offset/);
  });

  describe('_sort', () => {
    const search = (sort: string): Promise<string[]> => fixture.ids(`Patient?gender=other&_sort=${sort}`);

    it.each([
      // accents and case do not change the order of names; resources without a value come last
      ['family', ['sb', 'sd', 'sa', 'sc', 'sf', 'se']],
      ['-family', ['sf', 'sc', 'sa', 'sd', 'sb', 'se']],
      ['birthdate', ['sc', 'sd', 'se', 'sa', 'sb', 'sf']],
      ['-birthdate,family', ['sb', 'sa', 'se', 'sd', 'sc', 'sf']],
      ['birthdate,-family', ['sc', 'sd', 'se', 'sa', 'sb', 'sf']],
      ['_lastUpdated', ['sb', 'sc', 'sa', 'se', 'sd', 'sf']],
      ['-_lastUpdated', ['sf', 'sd', 'se', 'sa', 'sc', 'sb']],
      ['-_id', ['sf', 'se', 'sd', 'sc', 'sb', 'sa']],
      // equal keys fall back to the id
      ['gender', ['sa', 'sb', 'sc', 'sd', 'se', 'sf']],
    ])('%s', async (sort, expected) => {
      expect(await search(sort)).toEqual(expected);
    });

    it('keeps the sort in paging links and pages through it in order', async () => {
      const first = await fixture.search('Patient?gender=other&_sort=-birthdate,family&_count=4');
      expect(entryIds(first)).toEqual(['sb', 'sa', 'se', 'sd']);
      const next = link(first, 'next') as string;
      expect(next).toContain('_sort=-birthdate,family');
      expect(entryIds(await fixture.search(linkTarget(next)))).toEqual(['sc', 'sf']);
    });

    it.each([
      ['nonsense', 'Unknown search parameter: nonsense'],
      ['phonetic,_content', 'Unknown search parameter: _content'],
    ])('rejects _sort=%s', async (sort, message) => {
      await expect(search(sort)).rejects.toThrow(message);
    });
  });
});
