import type { AllergyIntolerance, Condition, Encounter, Patient, RelatedPerson } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import type { MappingResult } from './map-message.ts';
import { mapFixture, MRN, onlyResource, requestLines } from './fixtures/fixture-context.ts';

const VISIT = 'http://sys-ids.kemkes.go.id/encounter/10000004';
const PRACTITIONER = 'https://rsud-sehat.example/id/practitioner';
const LOCATION = 'http://sys-ids.kemkes.go.id/location/10000004';
const DEVICE = 'POST Device identifier=https://simpul.dev/fhir/id/hl7v2-sender|rsudss-simrs';
const PROVENANCE = 'PUT Provenance?entity:identifier=https://simpul.dev/fhir/id/message-store|msgstore-0001';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

interface AdtCase {
  readonly fixture: string;
  readonly messageType: string;
  readonly version: string;
  readonly requests: readonly string[];
  readonly check: (result: MappingResult) => void;
}

const encounterOf = (result: MappingResult): Encounter => onlyResource<Encounter>(result.bundle, 'Encounter');
const patientOf = (result: MappingResult): Patient => onlyResource<Patient>(result.bundle, 'Patient');

const CASES: readonly AdtCase[] = [
  {
    fixture: 'adt-a01-v2.5.1.hl7',
    messageType: 'ADT^A01',
    version: '2.5.1',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00123456`,
      'PUT RelatedPerson?identifier=https://rsud-sehat.example/id/related-person|RM00123456-1',
      `POST Practitioner identifier=${PRACTITIONER}|D12345`,
      `POST Practitioner identifier=${PRACTITIONER}|D67890`,
      `POST Location identifier=${LOCATION}|MAWAR/201/B`,
      `PUT Encounter?identifier=${VISIT}|VN20240105001`,
      'PUT AllergyIntolerance?identifier=https://rsud-sehat.example/id/allergy|RM00123456-Z88.0',
      'PUT Condition?identifier=https://rsud-sehat.example/id/condition|DX0001',
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(patientOf(result)).toMatchObject({
        identifier: [
          { system: MRN, value: 'RM00123456', type: { coding: [{ code: 'MR' }] } },
          { system: 'https://fhir.kemkes.go.id/id/nik', value: '3174051201800001', type: { coding: [{ code: 'NNIDN' }] } },
        ],
        active: true,
        name: [{ use: 'official', family: 'Santoso', given: ['Budi', 'Adi'] }],
        gender: 'male',
        birthDate: '1980-01-12',
        deceasedBoolean: false,
        maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }] },
        address: [{ use: 'home', line: ['Jl. Merdeka No. 10', 'RT 003/RW 005'], city: 'Jakarta Selatan', district: 'Kota Jakarta Selatan', postalCode: '12190' }],
        telecom: [
          { system: 'phone', value: '+62 21 7654321', use: 'home' },
          { system: 'phone', value: '+62 812 34567890', use: 'mobile' },
          { system: 'email', value: 'budi.santoso@example.co.id' },
        ],
      });
      const encounter = encounterOf(result);
      expect(encounter).toMatchObject({
        status: 'in-progress',
        class: { system: ACT_CODE, code: 'IMP' },
        period: { start: '2024-01-05T08:00:00+07:00' },
        hospitalization: { admitSource: { coding: [{ code: '7' }] } },
        reasonCode: [{ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'R50.9' }] }],
        location: [{ status: 'active', location: { display: 'Ruang Mawar 201 Bed B' } }],
        diagnosis: [{ use: { coding: [{ code: 'AD' }] }, rank: 1 }],
      });
      expect(encounter.period?.end).toBeUndefined();
      expect(encounter.participant?.map((p) => [p.type?.[0].coding?.[0].code, p.individual?.display])).toEqual([
        ['ATND', 'dr. Rina Wulandari Sp.PD'],
        ['REF', 'dr. Agus Prasetyo'],
        ['ADM', 'dr. Rina Wulandari Sp.PD'],
      ]);
      expect(onlyResource<RelatedPerson>(result.bundle, 'RelatedPerson')).toMatchObject({
        name: [{ family: 'Rahayu', given: ['Siti'] }],
        relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'SPS' }, { code: 'SPO' }] }, { coding: [{ code: 'N' }] }],
        telecom: [{ system: 'phone', use: 'mobile', value: '+62 813 11112222' }],
      });
      expect(onlyResource<AllergyIntolerance>(result.bundle, 'AllergyIntolerance')).toMatchObject({
        category: ['medication'],
        criticality: 'high',
        code: { coding: [{ code: 'Z88.0' }], text: 'Penisilin' },
        reaction: [{ manifestation: [{ text: 'Ruam kulit' }, { text: 'Sesak napas' }] }],
        onsetDateTime: '2019-03-01',
      });
      expect(onlyResource<Condition>(result.bundle, 'Condition')).toMatchObject({
        category: [{ coding: [{ code: 'encounter-diagnosis' }] }],
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'A09' }] },
        recordedDate: '2024-01-05T08:15:00+07:00',
        asserter: { display: 'dr. Rina Wulandari Sp.PD' },
      });
    },
  },
  {
    fixture: 'adt-a01-v2.3.hl7',
    messageType: 'ADT^A01',
    version: '2.3',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00200001`,
      `POST Practitioner identifier=${PRACTITIONER}|D22222`,
      `POST Location identifier=${LOCATION}|IGD`,
      `PUT Encounter?identifier=${VISIT}|VN19991227008`,
      'PUT Condition?identifier=https://rsud-sehat.example/id/condition|VN19991227008-I21.9',
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      // PID-2 repeats the MRN without an authority: one identifier, not two. PID-8 "L" via the source's code map.
      expect(patientOf(result)).toMatchObject({ identifier: [{ system: MRN, value: 'RM00200001' }], gender: 'male', name: [{ family: 'Hidayat', given: ['Ahmad'] }] });
      expect(patientOf(result).identifier).toHaveLength(1);
      expect(encounterOf(result)).toMatchObject({ status: 'in-progress', class: { code: 'EMER' }, period: { start: '1999-12-27T14:00:00+07:00' } });
      // DG1-2 (coding method, 2.3) names the system when DG1-3.3 is empty.
      expect(onlyResource<Condition>(result.bundle, 'Condition').code?.coding?.[0]).toEqual({ system: 'http://hl7.org/fhir/sid/icd-10', code: 'I21.9', display: 'Infark miokard akut' });
    },
  },
  {
    fixture: 'adt-a01-v2.3.1.hl7',
    messageType: 'ADT^A01',
    version: '2.3.1',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00300007`,
      `POST Practitioner identifier=${PRACTITIONER}|D33333`,
      `POST Location identifier=${LOCATION}|MELATI/105/A`,
      `PUT Encounter?identifier=${VISIT}|VN20030615002`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(patientOf(result)).toMatchObject({ gender: 'female', birthDate: '1990-12-01', maritalStatus: { coding: [{ code: 'S' }] } });
      expect(encounterOf(result)).toMatchObject({ status: 'in-progress', class: { code: 'IMP' }, period: { start: '2003-06-15T10:00:00+07:00' } });
    },
  },
  {
    fixture: 'adt-a01-v2.4.hl7',
    messageType: 'ADT^A01',
    version: '2.4',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00400011`,
      `POST Practitioner identifier=${PRACTITIONER}|D44444`,
      `POST Location identifier=${LOCATION}|POLIANAK`,
      `PUT Encounter?identifier=${VISIT}|VN20080320014`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      // Birth date at month precision stays at month precision.
      expect(patientOf(result)).toMatchObject({ birthDate: '2001-05', gender: 'male' });
      // The sender's +0800 offset is kept, not replaced by the configured zone.
      expect(encounterOf(result)).toMatchObject({ class: { code: 'AMB' }, period: { start: '2008-03-20T14:00:00+08:00' } });
      expect(encounterOf(result).location?.[0].location.display).toBe('POLIANAK');
    },
  },
  {
    fixture: 'adt-a02-v2.5.1.hl7',
    messageType: 'ADT^A02',
    version: '2.5.1',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00123456`,
      `POST Practitioner identifier=${PRACTITIONER}|D12345`,
      `POST Location identifier=${LOCATION}|ICU/01/1`,
      `POST Location identifier=${LOCATION}|MAWAR/201/B`,
      `PUT Encounter?identifier=${VISIT}|VN20240105001`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(encounterOf(result).location?.map((l) => [l.location.display, l.status])).toEqual([
        ['ICU Bed 1', 'active'],
        ['Ruang Mawar 201 Bed B', 'completed'],
      ]);
      expect(encounterOf(result).status).toBe('in-progress');
    },
  },
  {
    fixture: 'adt-a03-v2.5.1.hl7',
    messageType: 'ADT^A03',
    version: '2.5.1',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00123456`,
      `POST Practitioner identifier=${PRACTITIONER}|D12345`,
      `POST Location identifier=${LOCATION}|ICU/01/1`,
      `PUT Encounter?identifier=${VISIT}|VN20240105001`,
      'PUT Condition?identifier=https://rsud-sehat.example/id/condition|DX0002',
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(encounterOf(result)).toMatchObject({
        status: 'finished',
        period: { start: '2024-01-05T08:00:00+07:00', end: '2024-01-10T08:30:00+07:00' },
        location: [{ status: 'completed' }],
        hospitalization: { dischargeDisposition: { coding: [{ code: '01' }] } },
        diagnosis: [{ use: { coding: [{ code: 'DD' }] } }],
      });
    },
  },
  {
    fixture: 'adt-a04-v2.4.hl7',
    messageType: 'ADT^A04',
    version: '2.4',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00500021`,
      `POST Practitioner identifier=${PRACTITIONER}|D12345`,
      `POST Location identifier=${LOCATION}|POLIDALAM`,
      `PUT Encounter?identifier=${VISIT}|VN20080321001`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(encounterOf(result)).toMatchObject({ status: 'arrived', class: { code: 'AMB' }, period: { start: '2008-03-21T07:30:00+07:00' } });
    },
  },
  {
    fixture: 'adt-a05-v2.5.1.hl7',
    messageType: 'ADT^A05',
    version: '2.5.1',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00600031`,
      `POST Practitioner identifier=${PRACTITIONER}|D67890`,
      `POST Location identifier=${LOCATION}|BEDAH/301`,
      `PUT Encounter?identifier=${VISIT}|VN20240205001`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(encounterOf(result)).toMatchObject({ status: 'planned', class: { code: 'PRENC' }, location: [{ status: 'planned' }] });
      expect(encounterOf(result).period).toBeUndefined();
    },
  },
  {
    fixture: 'adt-a08-v2.3.1.hl7',
    messageType: 'ADT^A08',
    version: '2.3.1',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00300007`,
      `POST Location identifier=${LOCATION}|MELATI/105/A`,
      `PUT Encounter?identifier=${VISIT}|VN20030615002`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(patientOf(result)).toMatchObject({ name: [{ given: ['Dewi', 'Ayu'] }], maritalStatus: { coding: [{ code: 'M' }] } });
      // A08 takes the visit's state from PV1: a discharge time means finished.
      expect(encounterOf(result)).toMatchObject({ status: 'finished', period: { end: '2003-06-16T07:30:00+07:00' }, location: [{ status: 'completed' }] });
    },
  },
  {
    fixture: 'adt-a11-v2.5.1.hl7',
    messageType: 'ADT^A11',
    version: '2.5.1',
    requests: [`PUT Patient?identifier=${MRN}|RM00123456`, `POST Location identifier=${LOCATION}|MAWAR/201/B`, `PUT Encounter?identifier=${VISIT}|VN20240105001`, DEVICE, PROVENANCE],
    check: (result) => {
      expect(encounterOf(result).status).toBe('cancelled');
    },
  },
  {
    fixture: 'adt-a13-v2.5.1.hl7',
    messageType: 'ADT^A13',
    version: '2.5.1',
    requests: [
      `PUT Patient?identifier=${MRN}|RM00123456`,
      `POST Practitioner identifier=${PRACTITIONER}|D12345`,
      `POST Location identifier=${LOCATION}|ICU/01/1`,
      `PUT Encounter?identifier=${VISIT}|VN20240105001`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(encounterOf(result)).toMatchObject({ status: 'in-progress', period: { start: '2024-01-05T08:00:00+07:00' } });
      expect(encounterOf(result).period?.end).toBeUndefined();
    },
  },
  {
    fixture: 'adt-a28-v2.5.1.hl7',
    messageType: 'ADT^A28',
    version: '2.5.1',
    requests: [`PUT Patient?identifier=${MRN}|RM00700041`, 'PUT AllergyIntolerance?identifier=https://rsud-sehat.example/id/allergy|RM00700041-udang', DEVICE, PROVENANCE],
    check: (result) => {
      expect(patientOf(result).identifier?.[1]).toMatchObject({ system: 'https://fhir.kemkes.go.id/id/nik', value: '3273015505920002' });
      expect(onlyResource<AllergyIntolerance>(result.bundle, 'AllergyIntolerance')).toMatchObject({ category: ['food'], criticality: 'low', code: { text: 'Udang' } });
    },
  },
  {
    fixture: 'adt-a31-v2.4.hl7',
    messageType: 'ADT^A31',
    version: '2.4',
    requests: [`PUT Patient?identifier=${MRN}|RM00400011`, DEVICE, PROVENANCE],
    check: (result) => {
      expect(patientOf(result)).toMatchObject({ birthDate: '2001-05-17', address: [{ city: 'Surabaya', state: 'Jawa Timur', use: 'home' }] });
    },
  },
];

describe('ADT fixtures → FHIR', () => {
  it.each(CASES.map((c) => [c.fixture, c] as const))('%s', (_name, testCase) => {
    const result = mapFixture(testCase.fixture);
    expect(result.messageType).toBe(testCase.messageType);
    expect(result.version).toBe(testCase.version);
    expect(requestLines(result.bundle)).toEqual(testCase.requests);
    expect(result.warnings).toEqual([]);
    const patient = result.bundle.entry?.[0].resource as Patient;
    expect(result.patientKey).toBe(`${patient.identifier?.[0].system}|${patient.identifier?.[0].value}`);
    testCase.check(result);
  });

  it('covers every ADT event the issue lists', () => {
    const covered = new Set(CASES.map((c) => c.messageType));
    for (const event of ['A01', 'A02', 'A03', 'A04', 'A05', 'A08', 'A11', 'A13', 'A28', 'A31']) {
      expect(covered).toContain(`ADT^${event}`);
    }
    expect(new Set(CASES.filter((c) => c.messageType === 'ADT^A01').map((c) => c.version))).toEqual(new Set(['2.3', '2.3.1', '2.4', '2.5.1']));
  });
});
