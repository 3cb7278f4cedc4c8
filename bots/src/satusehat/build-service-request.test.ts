import type { ServiceRequest } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import { describe, expect, test } from 'vitest';
import { buildServiceRequest } from './build-service-request.ts';

const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

function localOrder(overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    id: 'order-1',
    status: 'active',
    intent: 'order',
    identifier: [
      { type: { coding: [{ system: V2, code: 'PLAC' }] }, system: 'http://rs.test/placer', value: '00199' },
      { use: 'usual', type: { coding: [{ system: V2, code: 'ACSN' }] }, system: 'http://rs.test/acsn', value: '00403' },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '24648-8', display: 'XR Chest PA upr' }, { display: 'no system' }], text: 'Thorax PA' },
    orderDetail: [
      { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' }], text: 'Modality Code: DX' },
      { coding: [{ system: 'http://sys-ids.kemkes.go.id/ae-title', display: 'XR0001' }] },
    ],
    subject: { reference: 'Patient/local' },
    occurrenceDateTime: '2023-08-31T09:05:00+07:00',
    ...overrides,
  };
}

describe('buildServiceRequest', () => {
  test('builds the §5 skeleton with SATUSEHAT ids and the time in UTC', () => {
    expect(buildServiceRequest({ local: localOrder(), organizationId: '10000004', accession: '00403', patientIhs: 'P1', requesterIhs: 'N1', performerIhs: 'N2' })).toEqual({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'original-order',
      priority: 'routine',
      identifier: [
        { system: 'http://sys-ids.kemkes.go.id/servicerequest/10000004', value: '00199' },
        { use: 'usual', type: { coding: [{ system: V2, code: 'ACSN' }] }, system: 'http://sys-ids.kemkes.go.id/acsn/10000004', value: '00403' },
      ],
      category: [{ coding: [{ system: 'http://snomed.info/sct', code: '363679005', display: 'Imaging' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '24648-8', display: 'XR Chest PA upr' }], text: 'Thorax PA' },
      orderDetail: [
        { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' }], text: 'Modality Code: DX' },
        { coding: [{ system: 'http://sys-ids.kemkes.go.id/ae-title', display: 'XR0001' }] },
      ],
      subject: { reference: 'Patient/P1' },
      occurrenceDateTime: '2023-08-31T02:05:00+00:00',
      requester: { reference: 'Practitioner/N1' },
      performer: [{ reference: 'Practitioner/N2' }],
    });
  });

  test("takes the study's modality when the order names none, and leaves out what it cannot know", () => {
    const built = buildServiceRequest({ local: localOrder({ orderDetail: undefined, occurrenceDateTime: '2023-08-31T09:05:00' }), organizationId: '1', accession: 'A', patientIhs: 'P', studyModalities: ['CT'] });
    expect(built.orderDetail).toEqual([{ coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }], text: 'Modality Code: CT' }]);
    expect(built).not.toHaveProperty('occurrenceDateTime');
    expect(built).not.toHaveProperty('requester');
  });

  test('an order without a coded procedure is refused', () => {
    expect(() => buildServiceRequest({ local: localOrder({ code: { text: 'chest' } }), organizationId: '1', accession: 'A', patientIhs: 'P' })).toThrow(PermanentError);
  });
});
