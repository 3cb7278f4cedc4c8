import { identityConfigSchema } from '@simpul/infra';
import type { Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { blockingKeys, patientFeatures } from './patient-features.ts';
import { scorePair } from './score.ts';

const NIK = 'https://fhir.kemkes.go.id/id/nik';
const config = identityConfigSchema.parse({
  uniqueIdentifiers: [{ system: NIK, kind: 'national' }, { system: 'https://rs-a.example/mrn', kind: 'record' }],
  identifierMaps: [{ from: 'urn:dicom:ct01:patient-id', to: 'https://rs-a.example/mrn', valuePrefix: 'RM' }],
});
const base: Patient = {
  resourceType: 'Patient',
  name: [{ given: ['Budi'], family: 'Santoso' }],
  birthDate: '1980-03-07',
  gender: 'male',
  telecom: [{ system: 'phone', value: '+62 812-3456-7890' }],
  address: [{ line: ['Jl. Merdeka No. 10'], city: 'Bandung' }],
};
const score = (a: Patient, b: Patient) => scorePair(patientFeatures(a, config), patientFeatures(b, config), config);

describe('pair scoring', () => {
  it('the same record is certain; a stranger is certainly not', () => {
    expect(score(base, base).grade).toBe('certain');
    const stranger: Patient = { resourceType: 'Patient', name: [{ text: 'Dewi Lestari' }], birthDate: '1992-11-21', gender: 'female' };
    expect(score(base, stranger).grade).toBe('certainly-not');
  });

  it('swapped day/month and a local phone format still reach match with the phone', () => {
    const other: Patient = { ...base, birthDate: '1980-07-03', telecom: [{ system: 'phone', value: '081234567890' }] };
    const result = score(base, other);
    expect(result.breakdown.birthDate).toBe(config.weights.birthDate.swapped);
    expect(result.breakdown.phone).toBe(config.weights.phone.agree);
    expect(result.total).toBeGreaterThanOrEqual(config.match);
  });

  it('name and birth date alone are a review, not a link', () => {
    const other: Patient = { resourceType: 'Patient', name: [{ text: 'dr. Budi Santoso, Sp.PD' }], birthDate: '1980-03-07', gender: 'male' };
    const result = score(base, other);
    expect(result.total).toBeLessThan(config.match);
    expect(result.total).toBeGreaterThanOrEqual(config.possible);
  });

  it('the same NIK is certain whatever the name; different NIKs are certainly not', () => {
    const a: Patient = { ...base, identifier: [{ system: NIK, value: '3174051201800001' }] };
    expect(score(a, { resourceType: 'Patient', name: [{ text: 'B. Santosa' }], identifier: [{ system: NIK, value: '3174 0512 0180 0001' }] })).toMatchObject({
      grade: 'certain',
      normalized: 1,
    });
    expect(score(a, { ...base, identifier: [{ system: NIK, value: '3174051201800002' }] }).grade).toBe('certainly-not');
  });

  it('an identifier map turns a hand-typed DICOM PatientID into the MRN', () => {
    const features = patientFeatures({ resourceType: 'Patient', identifier: [{ system: 'urn:dicom:ct01:patient-id', value: ' 001234-56' }] }, config);
    expect(features.identifiers).toEqual(['https://rs-a.example/mrn|RM00123456']);
    expect(blockingKeys(features)).toContain('i:https://rs-a.example/mrn|RM00123456');
  });

  it('garbage input gives empty features, no keys, no crash', () => {
    const features = patientFeatures({ resourceType: 'Patient', birthDate: 'yesterday', name: [{ text: '!!! ,,,' }], telecom: [{ system: 'phone', value: 'call me' }] }, config);
    expect(features).toEqual({ names: [], phones: [], address: [], identifiers: [] });
    expect(blockingKeys(features)).toEqual([]);
  });

  it('the config refuses a possible threshold above match, and unknown keys', () => {
    expect(identityConfigSchema.safeParse({ match: 5, possible: 9 }).success).toBe(false);
    expect(identityConfigSchema.safeParse({ treshold: 3 }).success).toBe(false);
    expect(identityConfigSchema.safeParse({ uniqueIdentifiers: [{ system: 'not a uri' }] }).success).toBe(false);
  });
});
