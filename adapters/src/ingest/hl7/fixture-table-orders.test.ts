import type { Appointment, Binary, DiagnosticReport, Observation, ServiceRequest } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import type { MappingResult } from './map-message.ts';
import { entriesOf, mapFixture, MRN, onlyResource, requestLines, resourcesOf } from './fixtures/fixture-context.ts';

const PLACER = 'http://sys-ids.kemkes.go.id/servicerequest/10000004';
const FILLER = 'https://rsud-sehat.example/id/filler-order';
const ACSN = 'http://sys-ids.kemkes.go.id/acsn/10000004';
const OBSERVATION = 'http://sys-ids.kemkes.go.id/observation/10000004';
const UCUM = 'http://unitsofmeasure.org';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const DEVICE = 'POST Device identifier=https://simpul.dev/fhir/id/hl7v2-sender|rsudss-simrs';
const PROVENANCE = 'PUT Provenance?entity:identifier=https://simpul.dev/fhir/id/message-store|msgstore-0001';

interface OrderCase {
  readonly fixture: string;
  readonly messageType: string;
  readonly version: string;
  readonly requests: readonly string[];
  readonly check: (result: MappingResult) => void;
}

const observations = (result: MappingResult): Observation[] => resourcesOf<Observation>(result.bundle, 'Observation');
const observation = (result: MappingResult, setId: string): Observation | undefined =>
  observations(result).find((o) => o.identifier?.[0].value?.endsWith(`.${setId}`));
const text = (base64: string | undefined): string => Buffer.from(base64 ?? '', 'base64').toString('utf8');

function appointmentCase(event: string, controlId: string, check: OrderCase['check']): OrderCase {
  return {
    fixture: `siu-${event.toLowerCase()}-v2.4.hl7`,
    messageType: `SIU^${event}`,
    version: '2.4',
    requests: [
      `POST Patient identifier=${MRN}|RM00123456`,
      'POST Practitioner identifier=https://fhir.kemkes.go.id/id/nik|3174011507750003',
      'POST Location identifier=http://sys-ids.kemkes.go.id/location/10000004|RAD/CT1',
      'PUT Appointment?identifier=https://rsud-sehat.example/id/appointment|APT-F-5521',
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(result.controlId).toBe(controlId);
      const appointment = onlyResource<Appointment>(result.bundle, 'Appointment');
      expect(appointment).toMatchObject({
        identifier: [
          { type: { coding: [{ system: V2_0203, code: 'FILL' }] }, value: 'APT-F-5521' },
          { type: { coding: [{ code: 'PLAC' }] }, system: 'https://rsud-sehat.example/id/placer-appointment', value: 'APT-P-7781' },
        ],
        serviceType: [{ coding: [{ system: 'https://rsud-sehat.example/cs/rad-procedure', code: 'CTKEP' }] }],
        appointmentType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0276', code: 'ROUTINE' }] },
        comment: 'Puasa tidak diperlukan',
      });
      expect(appointment.participant.map((p) => [p.actor?.display, p.status])).toEqual([
        ['Budi Santoso', 'accepted'],
        ['dr. Ahmad Hidayat Sp.Rad', 'accepted'],
        ['Ruang CT 1', 'accepted'],
      ]);
      check(result);
    },
  };
}

const CASES: readonly OrderCase[] = [
  {
    fixture: 'orm-o01-v2.3.1.hl7',
    messageType: 'ORM^O01',
    version: '2.3.1',
    requests: [
      `POST Patient identifier=${MRN}|RM00123456`,
      'POST Location identifier=http://sys-ids.kemkes.go.id/location/10000004|MAWAR/201/B',
      'POST Encounter identifier=http://sys-ids.kemkes.go.id/encounter/10000004|VN20240105001',
      'POST Practitioner identifier=https://fhir.kemkes.go.id/id/nik|3174011507750003',
      `PUT ServiceRequest?identifier=${PLACER}|ORD00199`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(onlyResource<ServiceRequest>(result.bundle, 'ServiceRequest')).toMatchObject({
        identifier: [
          { type: { coding: [{ system: V2_0203, code: 'PLAC' }] }, system: PLACER, value: 'ORD00199' },
          { use: 'usual', type: { coding: [{ system: V2_0203, code: 'ACSN' }] }, system: ACSN, value: 'ACC00403' },
        ],
        status: 'active',
        intent: 'order',
        priority: 'stat',
        category: [{ coding: [{ system: 'http://snomed.info/sct', code: '363679005' }, { code: 'RAD' }] }],
        code: { coding: [{ system: 'https://rsud-sehat.example/cs/rad-procedure', code: 'RAD-THX-PA' }] },
        occurrenceDateTime: '2024-01-05T10:00:00+07:00',
        authoredOn: '2024-01-05T09:30:00+07:00',
        requester: { display: 'dr. Ahmad Hidayat Sp.Rad' },
        reasonCode: [{ coding: [{ code: 'R05' }] }],
        note: [{ text: 'Pasien batuk > 2 minggu, curiga TB paru' }],
      });
      // The local procedure code has no LOINC map: reported so the engineer can add one.
      expect(result.unmappedCodes).toEqual([
        { field: 'OBR-4', system: 'https://rsud-sehat.example/cs/rad-procedure', code: 'RAD-THX-PA', display: 'Foto Toraks PA', targetSystem: 'http://loinc.org' },
      ]);
    },
  },
  {
    fixture: 'orm-o01-ca-v2.4.hl7',
    messageType: 'ORM^O01',
    version: '2.4',
    requests: [`POST Patient identifier=${MRN}|RM00123456`, `PATCH ServiceRequest?identifier=${PLACER}|ORD00199`, DEVICE, PROVENANCE],
    check: (result) => {
      const patch = entriesOf(result.bundle, 'Binary')[0].resource as Binary;
      expect(patch.contentType).toBe('application/json-patch+json');
      expect(JSON.parse(text(patch.data))).toEqual([{ op: 'replace', path: '/status', value: 'revoked' }]);
    },
  },
  {
    fixture: 'omi-o23-v2.5.1.hl7',
    messageType: 'OMI^O23',
    version: '2.5.1',
    requests: [
      `POST Patient identifier=${MRN}|RM00123456`,
      'POST Location identifier=http://sys-ids.kemkes.go.id/location/10000004|ICU/01/1',
      'POST Encounter identifier=http://sys-ids.kemkes.go.id/encounter/10000004|VN20240105001',
      'POST Practitioner identifier=https://rsud-sehat.example/id/practitioner|D12345',
      `PUT ServiceRequest?identifier=${PLACER}|ORD00250`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(onlyResource<ServiceRequest>(result.bundle, 'ServiceRequest')).toMatchObject({
        identifier: [
          { type: { coding: [{ code: 'PLAC' }] }, value: 'ORD00250' },
          { type: { coding: [{ code: 'FILL' }] }, system: FILLER, value: 'RIS88001' },
          { type: { coding: [{ code: 'ACSN' }] }, system: ACSN, value: 'ACC00512' },
        ],
        status: 'active',
        priority: 'asap',
        code: { coding: [{ system: 'http://loinc.org', code: '36643-5' }] },
        orderDetail: [
          { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' }] },
          { coding: [{ system: 'http://sys-ids.kemkes.go.id/ae-title', display: 'XR0001' }] },
        ],
        occurrenceDateTime: '2024-01-07T09:30:00+07:00',
        encounter: { reference: expect.stringMatching(/^urn:uuid:/) },
      });
      expect(result.unmappedCodes).toEqual([]);
    },
  },
  {
    fixture: 'oru-r01-lab-v2.5.1.hl7',
    messageType: 'ORU^R01',
    version: '2.5.1',
    requests: [
      `POST Patient identifier=${MRN}|RM00123456`,
      'POST Encounter identifier=http://sys-ids.kemkes.go.id/encounter/10000004|VN20240105001',
      `POST ServiceRequest identifier=${PLACER}|LABORD77`,
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `PUT Observation?identifier=${OBSERVATION}|LIS20240106001.${n}`),
      'POST Practitioner identifier=https://rsud-sehat.example/id/practitioner|D55555',
      `PUT DiagnosticReport?identifier=${FILLER}|LIS20240106001`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      const report = onlyResource<DiagnosticReport>(result.bundle, 'DiagnosticReport');
      expect(report).toMatchObject({
        identifier: [{ type: { coding: [{ code: 'FILL' }] }, value: 'LIS20240106001' }],
        status: 'final',
        category: [{ coding: [{ code: 'HM' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '58410-2' }] },
        effectiveDateTime: '2024-01-06T06:00:00+07:00',
        issued: '2024-01-06T07:10:00+07:00',
        resultsInterpreter: [{ display: 'dr. Tiur Siregar' }],
        extension: [{ url: 'http://hl7.org/fhir/5.0/StructureDefinition/extension-DiagnosticReport.note', valueAnnotation: { text: 'Sampel diterima dalam kondisi baik' } }],
      });
      expect(report.result).toHaveLength(8);
      expect(observation(result, '1')).toMatchObject({
        status: 'final',
        category: [{ coding: [{ code: 'laboratory' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
        valueQuantity: { value: 10.2, unit: 'g/dl', system: UCUM, code: 'g/dL' },
        referenceRange: [{ low: { value: 13, code: 'g/dL' }, high: { value: 17, code: 'g/dL' } }],
        interpretation: [{ coding: [{ system: INTERPRETATION, code: 'L' }] }],
        effectiveDateTime: '2024-01-06T06:00:00+07:00',
      });
      // Unit sent escaped (10\S\3/uL) and known to mean 10*3/uL.
      expect(observation(result, '2')?.valueQuantity).toEqual({ value: 15.3, unit: '10^3/uL', system: UCUM, code: '10*3/uL' });
      expect(observation(result, '3')).toMatchObject({ valueQuantity: { comparator: '<', value: 5, code: 'mg/L' }, referenceRange: [{ high: { value: 5 }, text: '<5' }] });
      expect(observation(result, '4')?.valueString).toBe('Kuning jernih');
      expect(observation(result, '5')?.valueCodeableConcept).toEqual({
        coding: [
          { system: 'http://snomed.info/sct', code: '260385009', display: 'Negative' },
          { system: 'https://rsud-sehat.example/cs/lab-test', code: 'NEG', display: 'Negatif' },
        ],
        text: 'Negative',
      });
      expect(observation(result, '6')).toMatchObject({ status: 'preliminary', valueRatio: { numerator: { value: 1 }, denominator: { value: 128 } } });
      expect(observation(result, '7')).toMatchObject({ valueQuantity: { value: 32, code: 'mm/h' }, note: [{ text: 'Dikonfirmasi ulang' }] });
      expect(observation(result, '8')?.valueQuantity).toEqual({ value: 250, unit: 'satuan-lokal' });
      expect(result.unmappedCodes.map((u) => `${u.field}:${u.code}`)).toEqual(['OBX-3:WBC', 'OBX-3:CRP', 'OBX-3:LED', 'OBX-3:FERR', 'OBX-6:satuan-lokal']);
    },
  },
  {
    fixture: 'oru-r01-rad-v2.5.1.hl7',
    messageType: 'ORU^R01',
    version: '2.5.1',
    requests: [
      `POST Patient identifier=${MRN}|RM00123456`,
      `POST ServiceRequest identifier=${PLACER}|ORD00250`,
      `PUT Observation?identifier=${OBSERVATION}|RIS88001.3`,
      'POST Practitioner identifier=https://fhir.kemkes.go.id/id/nik|3174011507750003',
      `PUT DiagnosticReport?identifier=${FILLER}|RIS88001`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      const report = onlyResource<DiagnosticReport>(result.bundle, 'DiagnosticReport');
      expect(report).toMatchObject({
        identifier: [{ value: 'RIS88001' }, { type: { coding: [{ code: 'ACSN' }] }, system: ACSN, value: 'ACC00512' }],
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD' }] }],
        conclusion: 'Pneumonia lobus bawah kanan.',
        presentedForm: [{ contentType: 'text/plain; charset=utf-8', title: 'XR Chest 2 Views' }],
        resultsInterpreter: [{ display: 'dr. Ahmad Hidayat Sp.Rad' }],
      });
      // TX repetitions are lines; \.br\ breaks a line; \F\ \S\ \T\ \R\ \E\ are the separators they stand for.
      expect(text(report.presentedForm?.[0].data)).toBe(
        [
          'FOTO TORAKS PA/LAT:',
          'Cor: CTR < 50%, bentuk & letak normal.',
          'Pulmo: tampak infiltrat di lapang bawah paru kanan | kiri tak tampak kelainan.',
          'Sinus ^ diafragma: baik \\ tajam. Nilai ~ lihat catatan.',
          'Pneumonia lobus bawah kanan.',
        ].join('\n'),
      );
      // Only the measurement becomes an Observation; the narrative is the report's text.
      expect(observations(result)).toHaveLength(1);
      expect(observation(result, '3')).toMatchObject({ category: [{ coding: [{ code: 'imaging' }] }], valueQuantity: { value: 0.48, code: '{ratio}' } });
    },
  },
  {
    fixture: 'oru-r01-v2.3.hl7',
    messageType: 'ORU^R01',
    version: '2.3',
    requests: [
      `POST Patient identifier=${MRN}|RM00200001`,
      `POST ServiceRequest identifier=${PLACER}|LABORD10`,
      `PUT Observation?identifier=${OBSERVATION}|LIS2000010201.1`,
      `PUT DiagnosticReport?identifier=${FILLER}|LIS2000010201`,
      DEVICE,
      PROVENANCE,
    ],
    check: (result) => {
      expect(observation(result, '1')).toMatchObject({
        valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '112283007' }] },
        interpretation: [{ coding: [{ code: 'A' }] }],
        effectiveDateTime: '2000-01-02T08:00:00+07:00',
      });
      const report = onlyResource<DiagnosticReport>(result.bundle, 'DiagnosticReport');
      expect(report.status).toBe('final');
      // No OBR-24 and nothing else to tell lab from imaging: no category rather than a guess.
      expect(report.category).toBeUndefined();
    },
  },
  appointmentCase('S12', 'SIU0012', (result) => {
    expect(onlyResource<Appointment>(result.bundle, 'Appointment')).toMatchObject({
      status: 'booked',
      start: '2024-01-10T10:00:00+07:00',
      end: '2024-01-10T10:30:00+07:00',
      minutesDuration: 30,
    });
  }),
  appointmentCase('S13', 'SIU0013', (result) => {
    expect(onlyResource<Appointment>(result.bundle, 'Appointment')).toMatchObject({ status: 'booked', start: '2024-01-11T13:30:00+07:00', end: '2024-01-11T14:00:00+07:00' });
  }),
  appointmentCase('S14', 'SIU0014', (result) => {
    // AIS-7 (30 min) is the service's duration and wins over SCH-9 (45).
    expect(onlyResource<Appointment>(result.bundle, 'Appointment')).toMatchObject({ status: 'booked', minutesDuration: 30 });
  }),
  appointmentCase('S15', 'SIU0015', (result) => {
    expect(onlyResource<Appointment>(result.bundle, 'Appointment')).toMatchObject({
      status: 'cancelled',
      cancelationReason: { coding: [{ code: 'PTCANC' }], text: 'Pasien membatalkan' },
    });
  }),
];

describe('order, result and appointment fixtures → FHIR', () => {
  it.each(CASES.map((c) => [c.fixture, c] as const))('%s', (_name, testCase) => {
    const result = mapFixture(testCase.fixture);
    expect(result.messageType).toBe(testCase.messageType);
    expect(result.version).toBe(testCase.version);
    expect(requestLines(result.bundle)).toEqual(testCase.requests);
    expect(result.warnings).toEqual([]);
    expect(result.patientKey).toMatch(new RegExp(`^${MRN}\\|RM\\d+$`));
    testCase.check(result);
  });
});
