import type { Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { MappingError } from './mapping-error.ts';
import { MERGED_IDENTIFIER_SYSTEM } from './map-merge.ts';
import { mapHl7Message } from './map-message.ts';
import { fixtureContext, mapFixture, MRN, readFixture, resourcesOf } from './fixtures/fixture-context.ts';

describe('ADT^A40 merge', () => {
  const result = mapFixture('adt-a40-v2.5.1.hl7');
  const [nonSurvivorEntry, survivorEntry] = result.bundle.entry ?? [];
  const nonSurvivor = nonSurvivorEntry.resource as Patient;
  const survivor = survivorEntry.resource as Patient;

  it('writes the non-survivor first, keyed on its old MRN or its merge marker, never matching the survivor', () => {
    expect(nonSurvivorEntry.request).toEqual({
      method: 'PUT',
      url:
        `Patient?identifier=${MRN}|RM00999999,${MERGED_IDENTIFIER_SYSTEM}|${MRN}%23RM00999999` +
        `&identifier:not=${MRN}|RM00123456`,
    });
    expect(survivorEntry.request).toEqual({ method: 'PUT', url: `Patient?identifier=${MRN}|RM00123456` });
  });

  it('makes the non-survivor inactive, replaced by the survivor, holding only a marker of its old MRN', () => {
    expect(nonSurvivor).toEqual({
      resourceType: 'Patient',
      identifier: [{ use: 'old', system: MERGED_IDENTIFIER_SYSTEM, value: `${MRN}#RM00999999` }],
      active: false,
      link: [{ other: { reference: survivorEntry.fullUrl }, type: 'replaced-by' }],
      name: [{ text: 'Budi Santoso', family: 'Santoso', given: ['Budi'] }],
    });
  });

  it('gives the survivor the old MRN (use old) and a replaces link, keeping its own identifiers and demographics', () => {
    expect(survivor.active).toBe(true);
    expect(survivor.identifier?.map((i) => [i.system, i.value, i.use])).toEqual([
      [MRN, 'RM00123456', undefined],
      ['https://fhir.kemkes.go.id/id/nik', '3174051201800001', undefined],
      [MRN, 'RM00999999', 'old'],
    ]);
    expect(survivor.link).toEqual([{ other: { reference: nonSurvivorEntry.fullUrl }, type: 'replaces' }]);
    expect(survivor.birthDate).toBe('1980-01-12');
    expect(result.patientKey).toBe(`${MRN}|RM00123456`);
  });

  it('lists both patients in the Provenance', () => {
    const provenance = result.bundle.entry?.at(-1)?.resource;
    expect(provenance?.resourceType).toBe('Provenance');
    expect(JSON.stringify(provenance)).toContain(nonSurvivorEntry.fullUrl);
    expect(JSON.stringify(provenance)).toContain(survivorEntry.fullUrl);
  });

  it('merges every PID/MRG pair of a multi-patient A40', () => {
    const text = readFixture('adt-a40-v2.5.1.hl7').trimEnd() + '\nPID|1||RM00555555^^^RSUDSS^MR||Lestari^Dewi\nMRG|RM00555556^^^RSUDSS^MR\n';
    const patients = resourcesOf<Patient>(mapHl7Message(text, fixtureContext()).bundle, 'Patient');
    expect(patients.map((p) => [p.active, p.identifier?.map((i) => i.value)])).toEqual([
      [false, [`${MRN}#RM00999999`]],
      [true, ['RM00123456', '3174051201800001', 'RM00999999']],
      [false, [`${MRN}#RM00555556`]],
      [true, ['RM00555555', 'RM00555556']],
    ]);
  });

  it.each([
    ['no MRG segment', (text: string) => text.replace(/^MRG.*$/m, ''), 'MRG'],
    ['an empty MRG-1', (text: string) => text.replace(/^MRG.*$/m, 'MRG|'), 'MRG-1'],
    ['a patient merged into itself', (text: string) => text.replace('RM00999999', 'RM00123456'), 'MRG-1'],
    ['no PID segment', (text: string) => text.replace(/^PID.*$/m, ''), 'PID'],
  ])('rejects %s', (_name, edit, field) => {
    const text = edit(readFixture('adt-a40-v2.5.1.hl7'));
    expect(() => mapHl7Message(text, fixtureContext())).toThrow(MappingError);
    try {
      mapHl7Message(text, fixtureContext());
    } catch (error) {
      expect((error as MappingError).field).toBe(field);
      expect((error as MappingError).permanent).toBe(true);
    }
  });
});
