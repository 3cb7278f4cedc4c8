import type { ImagingStudy } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import { describe, expect, test } from 'vitest';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';
import { buildImagingStudy, studyInstances } from './build-imaging-study.ts';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

function localStudy(overrides: Partial<ImagingStudy> = {}): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    id: 'local-1',
    status: 'available',
    identifier: [
      { system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' },
      { use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, system: 'http://rs.test/acsn', value: 'A1' },
      { system: 'https://simpul.dev/fhir/NamingSystem/satusehat-id/ImagingStudy', value: 'old' },
    ],
    modality: [{ system: DCM, code: 'CT' }],
    subject: { reference: 'Patient/local-patient' },
    started: '2025-09-09T14:17:30+07:00',
    series: [
      {
        uid: '1.2.3.1',
        number: 1,
        modality: { system: DCM, code: 'CT', display: 'Computed Tomography' },
        instance: [
          { uid: '1.2.3.1.1', number: 1, title: 'ORIGINAL\\PRIMARY', sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
          { uid: '1.2.3.1.2', number: 2, sopClass: { code: '1.2.840.10008.5.1.4.1.1.2' } },
        ],
      },
      { uid: '1.2.3.2', modality: { system: DCM, code: 'SR' }, instance: [{ uid: '1.2.3.2.1', sopClass: { code: 'urn:oid:1.2.840.10008.5.1.4.1.1.88.22' } }] },
    ],
    ...overrides,
  };
}

const input = (local: ImagingStudy) => ({ local, organizationId: '10000004', accession: 'A1', patientIhs: 'P1', serviceRequestId: 'sr-1' });

describe('buildImagingStudy', () => {
  test('builds the §6 payload: ACSN in the org system, study UID, remote references, UTC start, sopClass as urn:oid', () => {
    const built = buildImagingStudy({ ...input(localStudy()), referrerIhs: 'N1' });
    expect(built).toEqual({
      resourceType: 'ImagingStudy',
      identifier: [
        { use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, system: 'http://sys-ids.kemkes.go.id/acsn/10000004', value: 'A1' },
        { system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' },
      ],
      status: 'available',
      modality: [{ system: DCM, code: 'CT' }, { system: DCM, code: 'SR' }],
      subject: { reference: 'Patient/P1' },
      basedOn: [{ reference: 'ServiceRequest/sr-1' }],
      started: '2025-09-09T07:17:30+00:00',
      referrer: { reference: 'Practitioner/N1' },
      numberOfSeries: 2,
      numberOfInstances: 3,
      series: [
        {
          uid: '1.2.3.1',
          number: 1,
          modality: { system: DCM, code: 'CT', display: 'Computed Tomography' },
          numberOfInstances: 2,
          instance: [
            { uid: '1.2.3.1.1', number: 1, title: 'ORIGINAL\\PRIMARY', sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
            { uid: '1.2.3.1.2', number: 2, sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
          ],
        },
        { uid: '1.2.3.2', modality: { system: DCM, code: 'SR' }, numberOfInstances: 1, instance: [{ uid: '1.2.3.2.1', sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.88.22' } }] },
      ],
    });
  });

  test('refuses what SATUSEHAT would refuse, naming the element', () => {
    expect(() => buildImagingStudy(input(localStudy({ identifier: [] })))).toThrow(/ImagingStudy\/local-1 has no Study Instance UID/);
    const noSopClass = localStudy();
    noSopClass.series![1].instance![0] = { uid: '1.2.3.2.1' } as never;
    expect(() => buildImagingStudy(input(noSopClass))).toThrow(/instance 1.2.3.2.1 has no SOP Class UID/);
    const noModality = localStudy();
    noModality.series![1].modality = { system: 'http://other', code: 'X' };
    expect(() => buildImagingStudy(input(noModality))).toThrow(PermanentError);
  });
});

describe('studyInstances', () => {
  test('lists every instance with its study and series', () => {
    expect(studyInstances(localStudy()).map((i) => `${i.studyUid}/${i.seriesUid}/${i.sopUid}`)).toEqual(['1.2.3/1.2.3.1/1.2.3.1.1', '1.2.3/1.2.3.1/1.2.3.1.2', '1.2.3/1.2.3.2/1.2.3.2.1']);
  });

  test('refuses UIDs that could escape the storage directory or are too long', () => {
    for (const bad of ['../..', '1.2/3', '1.2.3\u0000', `1.${'2'.repeat(70)}`, '']) {
      const study = localStudy();
      study.series![0].instance![0].uid = bad;
      expect(() => studyInstances(study)).toThrow(PermanentError);
    }
    expect(() => studyInstances(localStudy({ identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:../../x' }] }))).toThrow(/Study Instance UID that is not a DICOM UID/);
  });

  test('a study without instances is not ready yet (retryable)', () => {
    expect(() => studyInstances(localStudy({ series: [] }))).toThrow(RetryableDeliveryError);
    expect(() => studyInstances(localStudy({ series: [{ uid: '1.2', modality: { code: 'CT' } }] }))).toThrow(RetryableDeliveryError);
  });
});
