import { getStatus, OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { BODY, FOLDED, fixtureStore, SECRET } from '../../test/fixtures.ts';
import { thrownBy } from '../../test/thrown-by.ts';
import { terminologyErrorCode } from '../errors.ts';
import { lookup } from './lookup.ts';
import { lookupToParameters } from './to-parameters.ts';

describe('lookup', () => {
  const store = fixtureStore();

  it('returns display, designations, properties and the hierarchy of a known code', () => {
    const result = lookup(store, { system: BODY, code: 'head' });
    expect(result).toMatchObject({
      found: true,
      system: BODY,
      name: 'BodySites',
      version: '2',
      code: 'head',
      display: 'Head',
      abstract: false,
      inactive: false,
      designations: [{ language: 'id', value: 'Kepala' }],
    });
    expect(result.found && result.properties).toEqual([
      { code: 'modality', valueCode: 'CT' },
      { code: 'parent', valueCode: 'body' },
      { code: 'child', valueCode: 'brain' },
      { code: 'child', valueCode: 'skull' },
    ]);
  });

  it('filters properties, and reports parent links given as properties', () => {
    const result = lookup(store, { system: BODY, code: 'body', properties: ['child'] });
    expect(result.found && result.properties.map((p) => p.valueCode)).toEqual(['head', 'chest', 'abdomen', 'pelvis']);
    expect(result.found && result.abstract).toBe(true);
    expect(lookup(store, { system: BODY, code: 'old-chest' })).toMatchObject({ found: true, inactive: true });
  });

  it('says why a code is not found', () => {
    expect(lookup(store, { system: BODY, code: 'knee' })).toMatchObject({ found: false, reason: 'unknown-code', message: 'Unknown code "knee" in code system http://example.org/cs/body' });
    expect(lookup(store, { system: 'http://nowhere.example', code: 'a' })).toMatchObject({ found: false, reason: 'unknown-system' });
    expect(lookup(store, { system: BODY, version: '9', code: 'head' })).toMatchObject({ found: false, reason: 'unknown-system', message: expect.stringContaining('version 9') });
    expect(lookup(store, { system: SECRET, code: 'x' })).toMatchObject({ found: false, reason: 'no-content' });
  });

  it('honours caseSensitive: false', () => {
    expect(lookup(store, { system: FOLDED, code: 'ABC' })).toMatchObject({ found: true, code: 'Abc' });
    expect(lookup(store, { system: BODY, code: 'HEAD' }).found).toBe(false);
  });

  it('rejects missing inputs with SIMPUL-TERM-001', () => {
    expect(() => lookup(store, { system: BODY, code: '' })).toThrow(OperationOutcomeError);
    expect(terminologyErrorCode(thrownBy(() => lookup(store, { system: BODY, code: 'head', properties: 'parent' as unknown as string[] })))).toBe('SIMPUL-TERM-001');
    const error = thrownBy(() => lookup(store, { system: undefined as unknown as string, code: 'head' }));
    expect(terminologyErrorCode(error)).toBe('SIMPUL-TERM-001');
    expect((error as OperationOutcomeError).outcome.issue[0].expression).toEqual(['system']);
  });
});

describe('lookupToParameters', () => {
  const store = fixtureStore();

  it('produces the FHIR $lookup output', () => {
    const parameters = lookupToParameters(lookup(store, { system: BODY, code: 'brain' }));
    expect(parameters).toEqual({
      resourceType: 'Parameters',
      parameter: [
        { name: 'name', valueString: 'BodySites' },
        { name: 'version', valueString: '2' },
        { name: 'display', valueString: 'Brain' },
        { name: 'property', part: [{ name: 'code', valueCode: 'modality' }, { name: 'value', valueCode: 'MR' }] },
        { name: 'property', part: [{ name: 'code', valueCode: 'parent' }, { name: 'value', valueCode: 'head' }] },
      ],
    });
    const head = lookupToParameters(lookup(store, { system: BODY, code: 'head' }));
    expect(head.parameter).toContainEqual({ name: 'designation', part: [{ name: 'language', valueCode: 'id' }, { name: 'value', valueString: 'Kepala' }] });
  });

  it('throws a 404 outcome for a code or system that is not found', () => {
    for (const [params, code] of [
      [{ system: BODY, code: 'knee' }, 'SIMPUL-TERM-005'],
      [{ system: 'http://nowhere.example', code: 'a' }, 'SIMPUL-TERM-004'],
    ] as const) {
      const caught = thrownBy(() => lookupToParameters(lookup(store, params)));
      expect(terminologyErrorCode(caught)).toBe(code);
      expect(getStatus((caught as OperationOutcomeError).outcome)).toBe(404);
    }
  });
});
