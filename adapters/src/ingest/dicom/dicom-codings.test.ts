import { describe, expect, it } from 'vitest';
import { bodySiteCoding } from './body-site-codings.ts';
import { lateralityCoding, modalityCoding } from './dicom-codings.ts';

describe('DICOM → FHIR codings', () => {
  it('codes modalities in DCM, with "OT" when the object has none', () => {
    expect(modalityCoding('mr')).toEqual({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'MR', display: 'Magnetic Resonance' });
    expect(modalityCoding('  ')).toEqual({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'OT', display: 'Other' });
    expect(modalityCoding('XYZ')).toEqual({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'XYZ' });
  });

  it('codes laterality in SNOMED CT and leaves U (unpaired) out', () => {
    expect(lateralityCoding('L')).toEqual({ system: 'http://snomed.info/sct', code: '7771000', display: 'Left' });
    expect(lateralityCoding('b')).toEqual({ system: 'http://snomed.info/sct', code: '51440002', display: 'Right and left' });
    expect(lateralityCoding('U')).toBeUndefined();
    expect(lateralityCoding(undefined)).toBeUndefined();
  });

  it('codes Body Part Examined terms in SNOMED CT, tolerating spacing, and keeps unknown terms as text', () => {
    expect(bodySiteCoding('ABDOMENPELVIS')).toEqual({ system: 'http://snomed.info/sct', code: '818982008', display: 'Abdomen and Pelvis' });
    expect(bodySiteCoding('c spine')).toEqual({ system: 'http://snomed.info/sct', code: '122494005', display: 'Cervical spine' });
    expect(bodySiteCoding('KEPALA')).toEqual({ display: 'KEPALA' });
    expect(bodySiteCoding(' ')).toBeUndefined();
  });
});
