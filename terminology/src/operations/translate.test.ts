import { getStatus } from '@medplum/core';
import type { OperationOutcomeError } from '@medplum/core';
import type { ConceptMap } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { examMap, fixtureStore, LOCAL, OTHER_TARGET, TARGET } from '../../test/fixtures.ts';
import { thrownBy } from '../../test/thrown-by.ts';
import { terminologyErrorCode } from '../errors.ts';
import { translateToParameters } from './to-parameters.ts';
import { translate } from './translate.ts';

const SOURCE = 'http://hospital.example/cm/exam|1';

describe('translate', () => {
  const store = fixtureStore();

  it('returns every target of the code, across groups', () => {
    const result = translate(store, { system: LOCAL, code: 'CT-HEAD' });
    expect(result).toEqual({
      result: true,
      matches: [
        { equivalence: 'equivalent', concept: { system: TARGET, code: 'T-HEAD' }, source: SOURCE },
        { equivalence: 'equal', concept: { system: OTHER_TARGET, code: 'O-1' }, source: SOURCE },
      ],
    });
  });

  it('narrows to a target system, a map url and the map ValueSets', () => {
    expect(translate(store, { system: LOCAL, code: 'CT-HEAD', targetSystem: OTHER_TARGET }).matches.map((m) => m.concept?.code)).toEqual(['O-1']);
    expect(translate(store, { url: examMap.url, system: LOCAL, code: 'XR-CHEST' }).matches.map((m) => [m.concept?.code, m.equivalence, m.comment])).toEqual([
      ['T-OTHER', 'inexact', 'only when nothing better'],
      ['T-CHEST', 'wider', undefined],
    ]);
    expect(translate(store, { system: LOCAL, code: 'CT-HEAD', source: 'http://hospital.example/vs/exam', target: 'http://example.org/vs/target' }).result).toBe(true);
    expect(translate(store, { system: LOCAL, code: 'CT-HEAD', target: 'http://example.org/vs/elsewhere' })).toMatchObject({ result: false, matches: [] });
  });

  it('translates backwards with reverse, reading equivalences the other way', () => {
    expect(translate(store, { system: TARGET, code: 'T-CHEST', reverse: true })).toEqual({
      result: true,
      matches: [{ equivalence: 'narrower', concept: { system: LOCAL, code: 'XR-CHEST', display: 'Foto thorax' }, source: SOURCE }],
    });
    expect(translate(store, { system: TARGET, code: 'T-HEAD', reverse: true, targetSystem: 'http://somewhere.else' }).result).toBe(false);
    expect(translate(store, { system: LOCAL, code: 'CT-HEAD', reverse: true }).result).toBe(false);
  });

  it('answers result false with a message for unknown and unmatched codes', () => {
    expect(translate(store, { system: LOCAL, code: 'MRI-KNEE' })).toEqual({
      result: false,
      message: 'No mapping for code "MRI-KNEE" from http://hospital.example/cs/exam',
      matches: [],
    });
    expect(translate(store, { system: LOCAL, code: 'CONSULT' })).toEqual({
      result: false,
      message: 'Code "CONSULT" from http://hospital.example/cs/exam is marked unmatched in the ConceptMap',
      matches: [{ equivalence: 'unmatched', source: SOURCE }],
    });
    expect(translate(store, { system: 'http://unknown.example', code: 'x' }).result).toBe(false);
  });

  it('gives 404 for an unknown map and 400 for missing input', () => {
    const unknown = thrownBy(() => translate(store, { url: 'http://example.org/cm/none', system: LOCAL, code: 'CT-HEAD' }));
    expect(terminologyErrorCode(unknown)).toBe('SIMPUL-TERM-003');
    expect(getStatus((unknown as OperationOutcomeError).outcome)).toBe(404);
    expect(terminologyErrorCode(thrownBy(() => translate(store, { system: LOCAL, code: ' ' })))).toBe('SIMPUL-TERM-001');
    expect(terminologyErrorCode(thrownBy(() => translate(store, { system: '', code: 'CT-HEAD' })))).toBe('SIMPUL-TERM-001');
  });

  it('renders the FHIR Parameters output', () => {
    expect(translateToParameters(translate(store, { system: LOCAL, code: 'CT-HEAD', targetSystem: TARGET }))).toEqual({
      resourceType: 'Parameters',
      parameter: [
        { name: 'result', valueBoolean: true },
        {
          name: 'match',
          part: [
            { name: 'equivalence', valueCode: 'equivalent' },
            { name: 'concept', valueCoding: { system: TARGET, code: 'T-HEAD' } },
            { name: 'source', valueUri: SOURCE },
          ],
        },
      ],
    });
  });
});

describe('translate: unmapped groups', () => {
  function mapWith(unmapped: NonNullable<ConceptMap['group']>[number]['unmapped'], url = 'http://example.org/cm/unmapped'): ConceptMap {
    return {
      resourceType: 'ConceptMap',
      url,
      status: 'active',
      group: [{ source: 'http://example.org/cs/in', target: 'http://example.org/cs/out', element: [{ code: 'known', target: [{ code: 'K', equivalence: 'equal' }] }], unmapped }],
    };
  }

  it('mode provided keeps the code, fixed gives the fixed code, mapped codes are unaffected', () => {
    const store = fixtureStore();
    store.add(mapWith({ mode: 'provided' }));
    expect(translate(store, { system: 'http://example.org/cs/in', code: 'other' }).matches).toEqual([
      { equivalence: 'equal', concept: { system: 'http://example.org/cs/out', code: 'other' }, source: 'http://example.org/cm/unmapped' },
    ]);
    store.add(mapWith({ mode: 'fixed', code: 'OTH', display: 'Other' }));
    expect(translate(store, { system: 'http://example.org/cs/in', code: 'other' }).matches[0]).toMatchObject({ equivalence: 'wider', concept: { code: 'OTH', display: 'Other' } });
    expect(translate(store, { system: 'http://example.org/cs/in', code: 'known' }).matches.map((m) => m.concept?.code)).toEqual(['K']);
  });

  it('mode other-map asks the other map, and a loop of maps is reported instead of hanging', () => {
    const store = fixtureStore();
    store.add(mapWith({ mode: 'other-map', url: 'http://example.org/cm/fallback' }));
    store.add({ ...mapWith(undefined, 'http://example.org/cm/fallback'), group: [{ source: 'http://example.org/cs/in', target: 'http://example.org/cs/out', element: [{ code: 'rare', target: [{ code: 'R', equivalence: 'equivalent' }] }] }] });
    expect(translate(store, { url: 'http://example.org/cm/unmapped', system: 'http://example.org/cs/in', code: 'rare' }).matches).toEqual([
      { equivalence: 'equivalent', concept: { system: 'http://example.org/cs/out', code: 'R' }, source: 'http://example.org/cm/fallback' },
    ]);
    store.add(mapWith({ mode: 'other-map', url: 'http://example.org/cm/loop' }, 'http://example.org/cm/loop'));
    const error = thrownBy(() => translate(store, { url: 'http://example.org/cm/loop', system: 'http://example.org/cs/in', code: 'x' }));
    expect((error as Error).message).toContain('other-map chain is deeper than 8');
  });
});
