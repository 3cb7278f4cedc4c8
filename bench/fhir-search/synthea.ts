/**
 * A Synthea-like population, generated deterministically (seeded PRNG): organizations and
 * practitioners, then per patient 8 encounters, 40 observations (vital signs, labs, a blood pressure
 * panel with components) and 1 imaging study, so 50 resources per patient. Ids are predictable
 * (`p-123`, `o-123-4-5`) and identifiers too (MRN-000123), so the benchmark can aim its searches.
 */
import type { Encounter, ImagingStudy, Observation, Organization, Patient, Practitioner, Resource } from '@medplum/fhirtypes';

export const RESOURCES_PER_PATIENT = 50;
export const MRN_SYSTEM = 'https://fhir.simpul.dev/mrn/rs-1';
export const NIK_SYSTEM = 'https://fhir.kemkes.go.id/id/nik';
export const ORGANIZATIONS = 30;
export const PRACTITIONERS = 200;

export const FAMILIES = [
  'Santoso', 'Wijaya', 'Halim', 'Kusuma', 'Lestari', 'Saputra', 'Hidayat', 'Nugroho', 'Pratama', 'Siregar',
  'Simanjuntak', 'Nasution', 'Harahap', 'Lubis', 'Tanjung', 'Sitompul', 'Gunawan', 'Setiawan', 'Susanto', 'Wibowo',
  'Purnomo', 'Rahman', 'Hakim', 'Putri', 'Permana', 'Suryadi', 'Kurniawan', 'Hartono', 'Budiman', 'Salim',
  'Tan', 'Lim', 'Wong', 'Chandra', 'Sutanto', 'Yulianto', 'Firmansyah', 'Ramadhan', 'Syahputra', 'Maulana',
  'Ardiansyah', 'Sembiring', 'Ginting', 'Tarigan', 'Pane', 'Manurung', 'Sinaga', 'Panjaitan', 'Hutapea', 'Sihombing',
];
const GIVEN_MALE = ['Budi', 'Agus', 'Andi', 'Bambang', 'Dedi', 'Eko', 'Fajar', 'Hendra', 'Irwan', 'Joko', 'Rudi', 'Yusuf', 'Arif', 'Dimas', 'Rizky'];
const GIVEN_FEMALE = ['Siti', 'Dewi', 'Sri', 'Ani', 'Rina', 'Wati', 'Yuni', 'Ratna', 'Indah', 'Maya', 'Putri', 'Nur', 'Fitri', 'Ayu', 'Lina'];
const CITIES = ['Jakarta', 'Bandung', 'Surabaya', 'Medan', 'Semarang', 'Makassar', 'Palembang', 'Denpasar', 'Yogyakarta', 'Malang'];

interface LabCode {
  code: string;
  display: string;
  unit: string;
  low: number;
  high: number;
  category: 'vital-signs' | 'laboratory';
}
export const LAB_CODES: LabCode[] = [
  { code: '8867-4', display: 'Heart rate', unit: '/min', low: 50, high: 120, category: 'vital-signs' },
  { code: '8310-5', display: 'Body temperature', unit: 'Cel', low: 36, high: 39.5, category: 'vital-signs' },
  { code: '29463-7', display: 'Body weight', unit: 'kg', low: 3, high: 110, category: 'vital-signs' },
  { code: '8302-2', display: 'Body height', unit: 'cm', low: 50, high: 190, category: 'vital-signs' },
  { code: '9279-1', display: 'Respiratory rate', unit: '/min', low: 10, high: 30, category: 'vital-signs' },
  { code: '2345-7', display: 'Glucose', unit: 'mg/dL', low: 60, high: 300, category: 'laboratory' },
  { code: '718-7', display: 'Hemoglobin', unit: 'g/dL', low: 8, high: 18, category: 'laboratory' },
  { code: '2160-0', display: 'Creatinine', unit: 'mg/dL', low: 0.4, high: 3, category: 'laboratory' },
  { code: '2093-3', display: 'Cholesterol', unit: 'mg/dL', low: 120, high: 300, category: 'laboratory' },
];

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mrn(i: number): string {
  return `MRN-${String(i).padStart(7, '0')}`;
}

const pick = <T>(random: () => number, list: T[]): T => list[Math.floor(random() * list.length)];
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const START = Date.UTC(2015, 0, 1);
const SPAN = Date.UTC(2025, 0, 1) - START;

export function referenceResources(): Resource[] {
  const orgs: Organization[] = Array.from({ length: ORGANIZATIONS }, (_, i) => ({
    resourceType: 'Organization',
    id: `org-${i}`,
    name: `Rumah Sakit ${CITIES[i % CITIES.length]} ${i}`,
    identifier: [{ system: 'https://fhir.kemkes.go.id/id/organization', value: `ORG-${i}` }],
  }));
  const random = prng(7);
  const practitioners: Practitioner[] = Array.from({ length: PRACTITIONERS }, (_, i) => ({
    resourceType: 'Practitioner',
    id: `dr-${i}`,
    name: [{ family: pick(random, FAMILIES), given: [pick(random, GIVEN_MALE)], prefix: ['dr.'] }],
  }));
  return [...orgs, ...practitioners];
}

/** The 50 resources of patient i. */
export function patientRecord(i: number): Resource[] {
  const random = prng(i * 7919 + 13);
  const female = random() < 0.5;
  const family = pick(random, FAMILIES);
  const patientId = `p-${i}`;
  const born = Date.UTC(1930, 0, 1) + Math.floor(random() * (Date.UTC(2020, 0, 1) - Date.UTC(1930, 0, 1)));
  const patient: Patient = {
    resourceType: 'Patient',
    id: patientId,
    identifier: [
      { system: MRN_SYSTEM, value: mrn(i), type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] } },
      { system: NIK_SYSTEM, value: String(3200000000000000 + i) },
    ],
    active: true,
    name: [{ use: 'official', family, given: [pick(random, female ? GIVEN_FEMALE : GIVEN_MALE), pick(random, female ? GIVEN_FEMALE : GIVEN_MALE)] }],
    telecom: [{ system: 'phone', value: `+62-8${String(i).padStart(10, '0')}`, use: 'mobile' }],
    gender: female ? 'female' : 'male',
    birthDate: day(born),
    address: [{ use: 'home', line: [`Jl. Merdeka No. ${i % 200}`], city: pick(random, CITIES), country: 'ID' }],
    managingOrganization: { reference: `Organization/org-${i % ORGANIZATIONS}` },
  };
  const resources: Resource[] = [patient];
  for (let k = 0; k < 8; k++) {
    const start = START + Math.floor(random() * SPAN);
    const encounterId = `e-${i}-${k}`;
    const practitioner = `Practitioner/dr-${Math.floor(random() * PRACTITIONERS)}`;
    const encounter: Encounter = {
      resourceType: 'Encounter',
      id: encounterId,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: random() < 0.8 ? 'AMB' : 'IMP' },
      type: [{ coding: [{ system: 'http://snomed.info/sct', code: '185349003', display: 'Encounter for check up' }] }],
      subject: { reference: `Patient/${patientId}` },
      participant: [{ individual: { reference: practitioner } }],
      period: { start: new Date(start).toISOString(), end: new Date(start + 3_600_000).toISOString() },
      serviceProvider: { reference: `Organization/org-${i % ORGANIZATIONS}` },
    };
    resources.push(encounter);
    for (let m = 0; m < 5; m++) {
      resources.push(observation(random, `o-${i}-${k}-${m}`, patientId, encounterId, practitioner, start + m * 60_000, m));
    }
  }
  const started = START + Math.floor(random() * SPAN);
  const study: ImagingStudy = {
    resourceType: 'ImagingStudy',
    id: `is-${i}`,
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:2.25.${i}` }],
    status: 'available',
    subject: { reference: `Patient/${patientId}` },
    started: new Date(started).toISOString(),
    modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: random() < 0.5 ? 'DX' : 'CT' }],
    numberOfSeries: 1,
    numberOfInstances: 2,
    series: [
      {
        uid: `2.25.${i}.1`,
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' },
        instance: [
          { uid: `2.25.${i}.1.1`, sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.1' } },
          { uid: `2.25.${i}.1.2`, sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.1' } },
        ],
      },
    ],
  };
  resources.push(study);
  return resources;
}

function observation(
  random: () => number,
  id: string,
  patientId: string,
  encounterId: string,
  performer: string,
  at: number,
  index: number,
): Observation {
  const base: Observation = {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: {},
    subject: { reference: `Patient/${patientId}` },
    encounter: { reference: `Encounter/${encounterId}` },
    performer: [{ reference: performer }],
    effectiveDateTime: new Date(at).toISOString(),
    issued: new Date(at + 600_000).toISOString(),
  };
  if (index === 4) {
    const sys = Math.round(100 + random() * 60);
    return {
      ...base,
      category: [category('vital-signs')],
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: mmHg(sys) },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: mmHg(Math.round(sys * 0.65)) },
      ],
    };
  }
  const lab = pick(random, LAB_CODES);
  const value = Math.round((lab.low + random() * (lab.high - lab.low)) * 10) / 10;
  return {
    ...base,
    category: [category(lab.category)],
    code: { coding: [{ system: 'http://loinc.org', code: lab.code, display: lab.display }], text: lab.display },
    valueQuantity: { value, unit: lab.unit, system: 'http://unitsofmeasure.org', code: lab.unit },
  };
}

function category(code: string): NonNullable<Observation['category']>[number] {
  return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] };
}

function mmHg(value: number): Observation['valueQuantity'] {
  return { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' };
}
