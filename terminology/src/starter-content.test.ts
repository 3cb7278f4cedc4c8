import type { ConceptMap } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { expand } from './operations/expand.ts';
import { lookup } from './operations/lookup.ts';
import { translate } from './operations/translate.ts';
import { validateCodeInCodeSystem, validateCodeInValueSet } from './operations/validate-code.ts';
import { SATUSEHAT_CODE_SYSTEMS } from './satusehat-systems.ts';
import { loadStarterContent } from './starter-content.ts';
import { TerminologyStore } from './store/terminology-store.ts';
import { createTranslator } from './translate.ts';

const V2 = 'http://terminology.hl7.org/CodeSystem/v2-';
const THO = 'http://terminology.hl7.org/CodeSystem/';
const store = new TerminologyStore();

beforeAll(async () => {
  await loadStarterContent(store);
});

describe('starter content', () => {
  it('loads every shipped file', () => {
    expect(store.list('CodeSystem').length).toBeGreaterThanOrEqual(25);
    expect(store.list('ConceptMap')).toHaveLength(11);
    expect(store.list('ValueSet').length).toBeGreaterThanOrEqual(9);
  });

  it('translates the HL7 v2 tables to their FHIR targets', () => {
    const translator = createTranslator(store);
    const cases: Array<[string, string, string, string]> = [
      [`${V2}0001`, 'F', 'http://hl7.org/fhir/administrative-gender', 'female'],
      [`${V2}0001`, 'M', 'http://hl7.org/fhir/administrative-gender', 'male'],
      [`${V2}0001`, 'A', 'http://hl7.org/fhir/administrative-gender', 'other'],
      [`${V2}0002`, 'M', `${THO}v3-MaritalStatus`, 'M'],
      [`${V2}0002`, 'U', `${THO}v3-NullFlavor`, 'UNK'],
      [`${V2}0004`, 'E', `${THO}v3-ActCode`, 'EMER'],
      [`${V2}0004`, 'O', `${THO}v3-ActCode`, 'AMB'],
      [`${V2}0007`, 'E', `${THO}v3-ActPriority`, 'EM'],
      [`${V2}0063`, 'MTH', `${THO}v3-RoleCode`, 'MTH'],
      [`${V2}0063`, 'EMC', `${V2}0131`, 'C'],
      [`${V2}0078`, 'HH', `${THO}v3-ObservationInterpretation`, 'HH'],
      [`${V2}0085`, 'F', 'http://hl7.org/fhir/observation-status', 'final'],
      [`${V2}0085`, 'C', 'http://hl7.org/fhir/observation-status', 'corrected'],
      [`${V2}0119`, 'NW', 'http://hl7.org/fhir/request-status', 'active'],
      [`${V2}0119`, 'OC', 'http://hl7.org/fhir/request-status', 'revoked'],
      [`${V2}0038`, 'CM', 'http://hl7.org/fhir/request-status', 'completed'],
      [`${V2}0123`, 'F', 'http://hl7.org/fhir/diagnostic-report-status', 'final'],
      [`${V2}0203`, 'ACSN', `${V2}0203`, 'ACSN'],
      [`${V2}0203`, 'MR', `${V2}0203`, 'MR'],
    ];
    for (const [system, code, target, expected] of cases) {
      expect(translator.translate(system, code, target), `${system} ${code}`).toMatchObject({ mapped: true, coding: { system: target, code: expected } });
    }
    expect(translator.translate(`${V2}0001`, 'F', 'http://hl7.org/fhir/administrative-gender').coding.display).toBe('Female');
    // The IG keeps these v2 codes: no ActCode equivalent, so they come back unmapped.
    expect(translator.translate(`${V2}0004`, 'R', `${THO}v3-ActCode`)).toEqual({ mapped: false, coding: { system: `${V2}0004`, code: 'R' } });
    expect(translator.translate(`${V2}0119`, 'XO', 'http://hl7.org/fhir/request-status').mapped).toBe(false);
  });

  it('maps the sample local radiology codes to LOINC and back', () => {
    const translator = createTranslator(store);
    const local = 'https://simpul.dev/fhir/CodeSystem/sample-local-radiology-procedure';
    expect(translator.translate(local, 'RAD-THORAX-PA', SATUSEHAT_CODE_SYSTEMS.loinc).coding).toEqual({ system: 'http://loinc.org', code: '24648-8', display: 'XR Chest PA upright' });
    expect(translator.translate(local, 'RAD-CT-KEPALA-NK', SATUSEHAT_CODE_SYSTEMS.loinc).coding.code).toBe('30799-1');
    expect(translator.translate(local, 'RAD-KONSUL', SATUSEHAT_CODE_SYSTEMS.loinc).mapped).toBe(false);
    expect(translate(store, { system: 'http://loinc.org', code: '30799-1', reverse: true }).matches[0].concept?.code).toBe('RAD-CT-KEPALA-NK');
  });

  it('knows the DICOM modality codes and their ValueSets', () => {
    expect(lookup(store, { system: SATUSEHAT_CODE_SYSTEMS.dicom, code: 'CT' })).toMatchObject({ found: true, display: 'Computed Tomography' });
    const cid33 = 'http://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_33.html';
    expect(expand(store, { url: cid33 }).expansion?.total).toBe(55);
    expect(validateCodeInValueSet(store, { url: cid33, system: SATUSEHAT_CODE_SYSTEMS.dicom, code: 'SR' }).result).toBe(true);
    const cid29 = 'http://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_29.html';
    expect(validateCodeInValueSet(store, { url: cid29, system: SATUSEHAT_CODE_SYSTEMS.dicom, code: 'SR' }).result).toBe(false);
    for (const code of ['CR', 'CT', 'MR', 'US', 'DX', 'MG', 'XA', 'RF', 'NM', 'PT', 'OP']) {
      expect(validateCodeInValueSet(store, { url: cid29, system: SATUSEHAT_CODE_SYSTEMS.dicom, code }).result, code).toBe(true);
    }
  });

  it('holds the SATUSEHAT placeholders without pretending to know their codes', () => {
    expect(lookup(store, { system: SATUSEHAT_CODE_SYSTEMS.kptl, code: '31243.NP001.AP005' })).toMatchObject({ found: false, reason: 'no-content' });
    expect(validateCodeInCodeSystem(store, { url: SATUSEHAT_CODE_SYSTEMS.kfa, code: '92000001' })).toMatchObject({ result: false, reason: 'no-content' });
    expect(store.getCodeSystem(SATUSEHAT_CODE_SYSTEMS.aeTitle)?.content).toBe('not-present');
  });

  it('expands the FHIR target ValueSets', () => {
    expect(expand(store, { url: 'http://hl7.org/fhir/ValueSet/administrative-gender' }).expansion?.contains?.map((c) => c.code)).toEqual(['male', 'female', 'other', 'unknown']);
    expect(expand(store, { url: 'http://hl7.org/fhir/ValueSet/marital-status' }).expansion?.total).toBe(12);
    const classes = expand(store, { url: 'http://terminology.hl7.org/ValueSet/v3-ActEncounterCode' }).expansion?.contains?.map((c) => c.code);
    expect(classes).toContain('IMP');
    expect(classes).not.toContain('_ActEncounterCode');
  });

  it('is consistent: every mapped code exists in its loaded source and target code systems', () => {
    const missing: string[] = [];
    for (const map of store.list('ConceptMap') as ConceptMap[]) {
      for (const group of map.group ?? []) {
        const source = store.codeSystemIndex(group.source as string);
        const target = group.target ? store.codeSystemIndex(group.target) : undefined;
        for (const element of group.element) {
          if (source?.hasConcepts && !source.get(element.code as string)) missing.push(`${map.url}: source ${element.code}`);
          for (const mapping of element.target ?? []) {
            const concept = mapping.code ? target?.get(mapping.code) : undefined;
            if (mapping.code && target?.hasConcepts && !concept) missing.push(`${map.url}: target ${mapping.code}`);
            if (concept && mapping.display && concept.display !== mapping.display) missing.push(`${map.url}: display of ${mapping.code}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
