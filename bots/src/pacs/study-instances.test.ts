import { join } from 'node:path';
import type { ImagingStudy } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { studyInstanceFiles, studyInstanceUid } from './study-instances.ts';

const study = (patch: Partial<ImagingStudy> = {}): ImagingStudy => ({
  resourceType: 'ImagingStudy',
  id: 's1',
  status: 'available',
  subject: { reference: 'Patient/p1' },
  identifier: [{ system: 'urn:other', value: 'ACC1' }, { system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' }],
  series: [
    { uid: '1.2.3.1', modality: { code: 'CT' }, instance: [{ uid: '1.2.3.1.1', sopClass: { code: 'x' } }, { uid: '1.2.3.1.2', sopClass: { code: 'x' } }] },
    { uid: '1.2.3.2', modality: { code: 'CT' }, instance: [{ uid: '1.2.3.1.1', sopClass: { code: 'x' } }, { uid: '1.2.3.2.1', sopClass: { code: 'x' } }] },
    { uid: '1.2.3.3', modality: { code: 'CT' } },
  ],
  ...patch,
});

describe('studyInstanceFiles', () => {
  it('lists every instance once, at its blob store path', () => {
    expect(studyInstanceFiles(study(), '/blobs')).toEqual([
      { sopInstanceUid: '1.2.3.1.1', path: join('/blobs', 'dicom', '1.2.3', '1.2.3.1', '1.2.3.1.1.dcm') },
      { sopInstanceUid: '1.2.3.1.2', path: join('/blobs', 'dicom', '1.2.3', '1.2.3.1', '1.2.3.1.2.dcm') },
      { sopInstanceUid: '1.2.3.2.1', path: join('/blobs', 'dicom', '1.2.3', '1.2.3.2', '1.2.3.2.1.dcm') },
    ]);
  });

  it('takes the study UID from the urn:dicom:uid identifier', () => {
    expect(studyInstanceUid(study())).toBe('1.2.3');
    expect(() => studyInstanceUid(study({ identifier: [] }))).toThrow('has no identifier with system urn:dicom:uid');
  });

  it.each([
    ['a study UID with a path in it', study({ identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2/../../x' }] }), 'identifier urn:dicom:uid is not a DICOM UID'],
    ['a series UID of ..', study({ series: [{ uid: '..', modality: { code: 'CT' } }] }), 'series[0].uid is not a DICOM UID'],
    ['an instance without a UID', study({ series: [{ uid: '1.2', modality: { code: 'CT' }, instance: [{ uid: '', sopClass: { code: 'x' } }] }] }), 'series[0].instance[0].uid is missing'],
    ['a UID longer than 64 characters', study({ series: [{ uid: `1.${'2'.repeat(70)}`, modality: { code: 'CT' } }] }), 'at most 64 characters'],
  ])('refuses %s', (_, resource, message) => {
    expect(() => studyInstanceFiles(resource, '/blobs')).toThrow(message);
  });
});
