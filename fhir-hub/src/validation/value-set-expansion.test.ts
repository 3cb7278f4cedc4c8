import { getAllDataTypes } from '@medplum/core';
import type { CodeSystem, ValueSet } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { initValidation, validationDefinitions } from './definitions.ts';
import { buildTerminologyIndex } from './terminology-index.ts';
import { ValueSetExpander } from './value-set-expansion.ts';

const animals: CodeSystem = {
  resourceType: 'CodeSystem',
  url: 'urn:test:animals',
  status: 'active',
  content: 'complete',
  concept: [
    {
      code: 'animal',
      concept: [
        { code: 'mammal', concept: [{ code: 'dog' }, { code: 'cat' }] },
        { code: 'bird', concept: [{ code: 'penguin' }] },
      ],
    },
  ],
};

const fragment: CodeSystem = {
  resourceType: 'CodeSystem',
  url: 'urn:test:fragment',
  status: 'active',
  content: 'fragment',
  concept: [{ code: 'x' }],
};

function valueSet(url: string, compose: ValueSet['compose']): ValueSet {
  return { resourceType: 'ValueSet', url, status: 'active', compose };
}

const expander = new ValueSetExpander(
  buildTerminologyIndex([
    animals,
    fragment,
    valueSet('urn:vs:whole', { include: [{ system: 'urn:test:animals' }] }),
    valueSet('urn:vs:is-a', { include: [{ system: 'urn:test:animals', filter: [{ property: 'concept', op: 'is-a', value: 'mammal' }] }] }),
    valueSet('urn:vs:descendent-of', {
      include: [{ system: 'urn:test:animals', filter: [{ property: 'concept', op: 'descendent-of', value: 'mammal' }] }],
    }),
    valueSet('urn:vs:is-not-a', {
      include: [{ system: 'urn:test:animals', filter: [{ property: 'concept', op: 'is-not-a', value: 'mammal' }] }],
    }),
    valueSet('urn:vs:generalizes', {
      include: [{ system: 'urn:test:animals', filter: [{ property: 'concept', op: 'generalizes', value: 'dog' }] }],
    }),
    valueSet('urn:vs:unsupported-filter', {
      include: [{ system: 'urn:test:animals', filter: [{ property: 'habitat', op: '=', value: 'sea' }] }],
    }),
    valueSet('urn:vs:listed-external', {
      include: [{ system: 'http://unitsofmeasure.org', concept: [{ code: 'mg' }, { code: 'kg' }] }],
    }),
    valueSet('urn:vs:whole-external', { include: [{ system: 'urn:ietf:bcp:13' }] }),
    valueSet('urn:vs:fragment', { include: [{ system: 'urn:test:fragment' }] }),
    valueSet('urn:vs:mixed', {
      include: [{ system: 'urn:test:animals', concept: [{ code: 'dog' }] }, { system: 'urn:ietf:bcp:13' }],
    }),
    valueSet('urn:vs:union', { include: [{ valueSet: ['urn:vs:descendent-of'] }, { system: 'urn:other', concept: [{ code: 'z' }] }] }),
    valueSet('urn:vs:intersection', { include: [{ valueSet: ['urn:vs:is-a', 'urn:vs:listed-dog-bird'] }] }),
    valueSet('urn:vs:listed-dog-bird', { include: [{ system: 'urn:test:animals', concept: [{ code: 'dog' }, { code: 'bird' }] }] }),
    valueSet('urn:vs:system-and-import', {
      include: [{ system: 'urn:test:animals', concept: [{ code: 'dog' }, { code: 'bird' }], valueSet: ['urn:vs:is-a'] }],
    }),
    valueSet('urn:vs:import-missing', { include: [{ valueSet: ['urn:vs:not-shipped'] }] }),
    valueSet('urn:vs:exclude', {
      include: [{ system: 'urn:test:animals' }],
      exclude: [{ system: 'urn:test:animals', concept: [{ code: 'cat' }, { code: 'bird' }] }],
    }),
    valueSet('urn:vs:cycle-a', { include: [{ valueSet: ['urn:vs:cycle-b'] }, { system: 'urn:s', concept: [{ code: 'a' }] }] }),
    valueSet('urn:vs:cycle-b', { include: [{ valueSet: ['urn:vs:cycle-a'] }] }),
    { resourceType: 'ValueSet', url: 'urn:vs:no-compose', status: 'active' },
  ])
);

function codes(url: string): string[] {
  return [...expander.expand(url).allCodes];
}

describe('ValueSetExpander', () => {
  it('expands a whole code system, nested concepts included', () => {
    expect(codes('urn:vs:whole')).toEqual(['animal', 'mammal', 'dog', 'cat', 'bird', 'penguin']);
    const expansion = expander.expand('urn:vs:whole');
    expect(expansion.codesBySystem.get('urn:test:animals')?.has('penguin')).toBe(true);
    expect(expansion).toMatchObject({ indeterminate: false, gaps: [] });
    expect(expansion.openSystems.size).toBe(0);
  });

  it('supports is-a, descendent-of, is-not-a and generalizes filters from the hierarchy', () => {
    expect(codes('urn:vs:is-a')).toEqual(['dog', 'cat', 'mammal']);
    expect(codes('urn:vs:descendent-of')).toEqual(['dog', 'cat']);
    expect(codes('urn:vs:is-not-a')).toEqual(['animal', 'bird', 'penguin']);
    expect(new Set(codes('urn:vs:generalizes'))).toEqual(new Set(['dog', 'mammal', 'animal']));
  });

  it('leaves a system open (any code accepted) when a filter is not supported or the system is not enumerable', () => {
    for (const [url, system] of [
      ['urn:vs:unsupported-filter', 'urn:test:animals'],
      ['urn:vs:whole-external', 'urn:ietf:bcp:13'],
      ['urn:vs:fragment', 'urn:test:fragment'],
    ]) {
      const expansion = expander.expand(url);
      expect([...expansion.openSystems], url).toEqual([system]);
      expect(expansion.indeterminate).toBe(false);
      expect(expansion.gaps).toHaveLength(1);
    }
  });

  it('uses a value set concept list even when its code system does not ship', () => {
    const expansion = expander.expand('urn:vs:listed-external');
    expect([...(expansion.codesBySystem.get('http://unitsofmeasure.org') ?? [])]).toEqual(['mg', 'kg']);
    expect(expansion.openSystems.size).toBe(0);
  });

  it('keeps enumerated and open systems apart in one value set', () => {
    const expansion = expander.expand('urn:vs:mixed');
    expect([...expansion.allCodes]).toEqual(['dog']);
    expect([...expansion.openSystems]).toEqual(['urn:ietf:bcp:13']);
  });

  it('unions includes and intersects the parts of one include', () => {
    expect(expander.expand('urn:vs:union').codesBySystem).toEqual(
      new Map([
        ['urn:test:animals', new Set(['dog', 'cat'])],
        ['urn:other', new Set(['z'])],
      ])
    );
    expect(codes('urn:vs:intersection')).toEqual(['dog']);
    expect(codes('urn:vs:system-and-import')).toEqual(['dog']);
  });

  it('applies excludes', () => {
    expect(codes('urn:vs:exclude')).toEqual(['animal', 'mammal', 'dog', 'penguin']);
  });

  it('marks value sets it cannot resolve as indeterminate instead of empty', () => {
    for (const url of ['urn:vs:not-shipped', 'urn:vs:no-compose', 'urn:vs:import-missing']) {
      expect(expander.expand(url).indeterminate, url).toBe(true);
    }
    expect(expander.expand('urn:vs:not-shipped').gaps).toEqual(['value set urn:vs:not-shipped is not shipped']);
  });

  it('survives value sets that include each other', () => {
    const expansion = expander.expand('urn:vs:cycle-a');
    expect(expansion.codesBySystem.get('urn:s')).toEqual(new Set(['a']));
  });

  it('ignores a |version suffix and caches one expansion per url', () => {
    const first = expander.expand('urn:vs:whole|4.0.1');
    expect(first.url).toBe('urn:vs:whole');
    expect(expander.expand('urn:vs:whole')).toBe(first);
  });
});

describe('ValueSetExpander over the shipped R4 definitions', () => {
  it('expands every required binding of R4 except the documented value sets', () => {
    initValidation();
    const { expander: shipped } = validationDefinitions();
    const notFullyExpanded = new Set<string>();
    let bindings = 0;
    for (const schema of Object.values(getAllDataTypes())) {
      for (const element of Object.values(schema.elements)) {
        const binding = element.binding;
        if (binding?.strength !== 'required' || !binding.valueSet) {
          continue;
        }
        bindings++;
        const expansion = shipped.expand(binding.valueSet);
        if (expansion.indeterminate || expansion.openSystems.size > 0) {
          notFullyExpanded.add(expansion.url);
        } else {
          expect(expansion.allCodes.size, expansion.url).toBeGreaterThan(0);
        }
      }
    }
    expect(bindings).toBeGreaterThan(300);
    // Keep in sync with README.md: these are skipped (or checked only for their enumerable systems).
    expect([...notFullyExpanded].sort()).toEqual([
      'http://hl7.org/fhir/ValueSet/characteristic-combination',
      'http://hl7.org/fhir/ValueSet/currencies',
      'http://hl7.org/fhir/ValueSet/mimetypes',
      'http://hl7.org/fhir/ValueSet/subscription-notification-type',
      'http://hl7.org/fhir/ValueSet/ucum-units',
      'http://loinc.org/vs/LL379-9',
    ]);
  });

  it('expands v3 value sets defined by hierarchy filters', () => {
    const { expander: shipped } = validationDefinitions();
    const encounterCodes = shipped.expand('http://terminology.hl7.org/ValueSet/v3-ActEncounterCode');
    expect(encounterCodes.indeterminate).toBe(false);
    for (const code of ['AMB', 'EMER', 'IMP', 'HH', 'VR']) {
      expect(encounterCodes.allCodes.has(code), code).toBe(true);
    }
    expect(encounterCodes.allCodes.has('_ActAccountCode')).toBe(false);
  });
});
