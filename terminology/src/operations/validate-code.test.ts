import { getStatus } from '@medplum/core';
import type { OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { BODY, fixtureStore, SECRET, TARGET, valueSet } from '../../test/fixtures.ts';
import { thrownBy } from '../../test/thrown-by.ts';
import { terminologyErrorCode } from '../errors.ts';
import { validateCodeToParameters } from './to-parameters.ts';
import { validateCodeInCodeSystem, validateCodeInValueSet } from './validate-code.ts';

const HEAD_VS = 'http://example.org/vs/head';
const MIXED_VS = 'http://example.org/vs/mixed';

function store() {
  const s = fixtureStore();
  s.add(valueSet(HEAD_VS, { include: [{ system: BODY, filter: [{ property: 'concept', op: 'is-a', value: 'head' }] }] }));
  // 'lung' is a code in both systems below: a code without a system is ambiguous here.
  s.add({ resourceType: 'CodeSystem', url: 'http://example.org/cs/organs', status: 'active', content: 'complete', concept: [{ code: 'lung', display: 'Pulmo' }] });
  s.add(valueSet(MIXED_VS, { include: [{ system: BODY, concept: [{ code: 'lung' }, { code: 'heart' }] }, { system: 'http://example.org/cs/organs' }, { system: TARGET, concept: [{ code: 'T-HEAD' }] }] }));
  return s;
}

describe('validateCodeInCodeSystem', () => {
  const s = store();

  it('accepts a known code and returns its display', () => {
    expect(validateCodeInCodeSystem(s, { url: BODY, code: 'lung' })).toEqual({ result: true, system: BODY, code: 'lung', display: 'Lung' });
    expect(validateCodeInCodeSystem(s, { coding: { system: BODY, code: 'head', display: 'kepala' } }).result).toBe(true);
  });

  it('keeps result true for a wrong display, with a warning message', () => {
    expect(validateCodeInCodeSystem(s, { url: BODY, code: 'lung', display: 'Liver' })).toMatchObject({
      result: true,
      reason: 'wrong-display',
      message: 'Display "Liver" is not a display of code "lung" in http://example.org/cs/body; expected "Lung"',
    });
    expect(validateCodeInCodeSystem(s, { url: BODY, code: 'lung', display: '  LUNG ' }).message).toBeUndefined();
  });

  it('warns about inactive codes', () => {
    expect(validateCodeInCodeSystem(s, { url: BODY, code: 'old-chest' })).toMatchObject({ result: true, reason: 'inactive' });
  });

  it('answers false for unknown codes and systems, and for systems without content', () => {
    expect(validateCodeInCodeSystem(s, { url: BODY, code: 'knee' })).toMatchObject({ result: false, reason: 'unknown-code', message: 'Unknown code "knee" in code system http://example.org/cs/body' });
    expect(validateCodeInCodeSystem(s, { url: 'http://nowhere.example', code: 'a' })).toMatchObject({ result: false, reason: 'unknown-system' });
    expect(validateCodeInCodeSystem(s, { url: SECRET, code: 'a' })).toMatchObject({ result: false, reason: 'no-content' });
  });

  it('rejects missing inputs', () => {
    expect(() => validateCodeInCodeSystem(s, { url: BODY })).toThrow('parameter code is required');
    expect(() => validateCodeInCodeSystem(s, { code: 'lung' })).toThrow('parameter url is required');
  });
});

describe('validateCodeInValueSet', () => {
  const s = store();

  it('accepts members and rejects non-members', () => {
    expect(validateCodeInValueSet(s, { url: HEAD_VS, system: BODY, code: 'brain' })).toMatchObject({ result: true, display: 'Brain' });
    expect(validateCodeInValueSet(s, { url: HEAD_VS, system: BODY, code: 'lung' })).toMatchObject({
      result: false,
      reason: 'not-in-value-set',
      message: 'Code "lung" from http://example.org/cs/body is not in ValueSet http://example.org/vs/head',
    });
    expect(validateCodeInValueSet(s, { url: HEAD_VS, system: BODY, code: 'nope' })).toMatchObject({ result: false, reason: 'unknown-code' });
  });

  it('checks the display against the code system, designations included', () => {
    expect(validateCodeInValueSet(s, { url: HEAD_VS, system: BODY, code: 'head', display: 'Kepala' }).message).toBeUndefined();
    expect(validateCodeInValueSet(s, { url: HEAD_VS, system: BODY, code: 'head', display: 'Dada' })).toMatchObject({ result: true, reason: 'wrong-display' });
  });

  it('finds the system when only one holds the code, and asks for it when several do', () => {
    expect(validateCodeInValueSet(s, { url: MIXED_VS, code: 'T-HEAD' })).toMatchObject({ result: true, system: TARGET });
    expect(validateCodeInValueSet(s, { url: MIXED_VS, code: 'lung' })).toMatchObject({ result: false, message: expect.stringContaining('in several systems') });
  });

  it('accepts a CodeableConcept when any coding is valid', () => {
    const codeableConcept = { coding: [{ display: 'no code' }, { system: 'http://local.example', code: 'x' }, { system: BODY, code: 'skull' }] };
    expect(validateCodeInValueSet(s, { url: HEAD_VS, codeableConcept })).toMatchObject({ result: true, code: 'skull' });
    const none = validateCodeInValueSet(s, { url: HEAD_VS, codeableConcept: { coding: [{ system: BODY, code: 'lung' }, { system: BODY, code: 'heart' }] } });
    expect(none.result).toBe(false);
    expect(none.message).toContain('"lung"');
    expect(none.message).toContain('"heart"');
  });

  it('validates against an inline ValueSet', () => {
    const inline = valueSet('http://example.org/vs/inline', { include: [{ system: BODY, concept: [{ code: 'abdomen' }] }] });
    expect(validateCodeInValueSet(s, { valueSet: inline, system: BODY, code: 'abdomen' }).result).toBe(true);
  });

  it('gives 404 for an unknown ValueSet and 400 for bad input', () => {
    const caught = thrownBy(() => validateCodeInValueSet(s, { url: 'http://example.org/vs/unknown', system: BODY, code: 'head' }));
    expect(terminologyErrorCode(caught)).toBe('SIMPUL-TERM-002');
    expect(getStatus((caught as OperationOutcomeError).outcome)).toBe(404);
    expect(() => validateCodeInValueSet(s, { url: HEAD_VS, codeableConcept: { text: 'no codings' } })).toThrow('codeableConcept has no coding with a code');
    expect(() => validateCodeInValueSet(s, { system: BODY, code: 'head' })).toThrow('parameter url (or an inline valueSet) is required');
  });

  it('renders the FHIR Parameters output', () => {
    expect(validateCodeToParameters(validateCodeInValueSet(s, { url: HEAD_VS, system: BODY, code: 'lung' }))).toEqual({
      resourceType: 'Parameters',
      parameter: [
        { name: 'result', valueBoolean: false },
        { name: 'message', valueString: 'Code "lung" from http://example.org/cs/body is not in ValueSet http://example.org/vs/head' },
      ],
    });
    expect(validateCodeToParameters(validateCodeInCodeSystem(s, { url: BODY, code: 'lung' })).parameter).toEqual([
      { name: 'result', valueBoolean: true },
      { name: 'display', valueString: 'Lung' },
    ]);
  });
});
