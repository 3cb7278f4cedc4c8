/**
 * The benchmark's searches, each as a list of URLs (relative to /fhir/R4/) aimed at values that
 * exist in the loaded population, so every request does real work and caches see varied keys.
 */
import type { Bundle, BundleLink } from '@medplum/fhirtypes';
import { parseSearchQuery, searchBundle, type Sql } from '@simpul/fhir-hub';
import { FAMILIES, LAB_CODES, mrn, MRN_SYSTEM, prng, RESOURCES_PER_PATIENT } from './synthea.ts';

export interface BenchQuery {
  name: string;
  urls: string[];
}

const URLS_PER_QUERY = 200;

export async function benchQueries(sql: Sql, resources: number): Promise<BenchQuery[]> {
  const patients = Math.max(1, Math.round(resources / RESOURCES_PER_PATIENT));
  const random = prng(42);
  const patient = (): number => Math.floor(random() * patients);
  const many = (make: () => string): string[] => Array.from({ length: URLS_PER_QUERY }, make);
  const month = (): [string, string] => {
    const m = Math.floor(random() * 120);
    const start = new Date(Date.UTC(2015, m, 1)).toISOString().slice(0, 10);
    const end = new Date(Date.UTC(2015, m + 1, 1)).toISOString().slice(0, 10);
    return [start, end];
  };
  return [
    { name: 'token: Patient?identifier=system|value', urls: many(() => `Patient?identifier=${MRN_SYSTEM}|${mrn(patient())}`) },
    {
      name: 'string: Patient?name=<prefix>',
      urls: many(() => `Patient?name=${FAMILIES[Math.floor(random() * FAMILIES.length)].slice(0, 4).toLowerCase()}`),
    },
    {
      name: 'date range: Observation?date=geX&date=ltY (one month)',
      urls: many(() => {
        const [start, end] = month();
        return `Observation?date=ge${start}&date=lt${end}`;
      }),
    },
    {
      name: 'chain: Observation?subject:Patient.identifier=',
      urls: many(() => `Observation?subject:Patient.identifier=${MRN_SYSTEM}|${mrn(patient())}`),
    },
    {
      name: '_revinclude: Patient?identifier=&_revinclude=Observation:subject',
      urls: many(() => `Patient?identifier=${MRN_SYSTEM}|${mrn(patient())}&_revinclude=Observation:subject`),
    },
    { name: 'page 100 of Observation?code=&_sort=-date (cursor)', urls: await page100Urls(sql) },
  ];
}

/** Walks 99 pages of a sorted search per lab code and keeps the link to page 100. */
async function page100Urls(sql: Sql): Promise<string[]> {
  const urls: string[] = [];
  for (const lab of LAB_CODES.slice(0, 4)) {
    let url: string | undefined = `Observation?code=http://loinc.org|${lab.code}&_sort=-date&_count=20`;
    for (let page = 1; page < 100 && url; page++) {
      const q = url.indexOf('?');
      const bundle: Bundle = await searchBundle(sql, parseSearchQuery(url.slice(0, q), [...new URLSearchParams(url.slice(q + 1))]), {
        baseUrl: 'http://bench/',
      });
      url = bundle.link?.find((l: BundleLink) => l.relation === 'next')?.url?.replace('http://bench/fhir/R4/', '');
    }
    if (url) urls.push(url);
  }
  if (urls.length === 0) throw new Error('the population is too small for 100 pages of 20');
  return urls;
}
