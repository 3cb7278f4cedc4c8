import { describe, expect, it } from 'vitest';
import type { CodeTranslator } from './code-translator.ts';
import { chainTranslators, createCodeMapTranslator, createV2TableTranslator } from './code-translator.ts';
import { mapHl7Message } from './map-message.ts';
import { fixtureContext, readFixture } from './fixtures/fixture-context.ts';

const V2_0001 = 'http://terminology.hl7.org/CodeSystem/v2-0001';
const GENDER = 'http://hl7.org/fhir/administrative-gender';

describe('code translators', () => {
  it('serves the v2 tables', () => {
    const translator = createV2TableTranslator();
    expect(translator.translate(V2_0001, 'F', GENDER)).toEqual({ coding: { system: GENDER, code: 'female' }, mapped: true });
    expect(translator.translate('http://terminology.hl7.org/CodeSystem/v2-0004', 'E', 'http://terminology.hl7.org/CodeSystem/v3-ActCode')).toEqual({
      coding: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER', display: 'emergency' },
      mapped: true,
    });
    expect(translator.translate(V2_0001, 'L', GENDER)).toEqual({ coding: { system: V2_0001, code: 'L' }, mapped: false });
    expect(translator.translate(V2_0001, 'F', 'http://loinc.org').mapped).toBe(false);
  });

  it('lets a hospital code map win, and falls through to the next translator', () => {
    const chain = chainTranslators(createCodeMapTranslator([{ source: V2_0001, target: GENDER, codes: { L: 'male', F: 'other' } }]), createV2TableTranslator());
    expect(chain.translate(V2_0001, 'L', GENDER).coding.code).toBe('male');
    expect(chain.translate(V2_0001, 'F', GENDER).coding.code).toBe('other');
    expect(chain.translate(V2_0001, 'M', GENDER).coding.code).toBe('male');
    expect(chain.translate(V2_0001, 'Q', GENDER)).toEqual({ coding: { system: V2_0001, code: 'Q' }, mapped: false });
  });

  it('asks the caller translator (the terminology service) before the built-in tables', () => {
    const asked: string[] = [];
    const terminology: CodeTranslator = {
      translate(system, code, target) {
        asked.push(`${system}|${code}→${target}`);
        return code === 'CRP' ? { coding: { system: 'http://loinc.org', code: '1988-5' }, mapped: true } : { coding: { system, code }, mapped: false };
      },
    };
    const result = mapHl7Message(readFixture('oru-r01-lab-v2.5.1.hl7'), fixtureContext({ translator: terminology }));
    expect(asked).toContain('https://rsud-sehat.example/cs/lab-test|CRP→http://loinc.org');
    // Gender still maps through the built-in v2 table when the terminology service does not know it.
    expect(asked).toContain(`${V2_0001}|M→${GENDER}`);
    expect(result.unmappedCodes.map((u) => u.code)).not.toContain('CRP');
    expect(JSON.stringify(result.bundle)).toContain('"code":"1988-5"');
  });
});
