import type { CodeSystem, ConceptMap, ValueSet } from '@medplum/fhirtypes';
import { TerminologyStore } from '../src/store/terminology-store.ts';

/** Small, hand-made terminology for the operation tests: a body-site hierarchy and maps around it. */

export const BODY = 'http://example.org/cs/body';
export const FOLDED = 'http://example.org/cs/folded';
export const SECRET = 'http://example.org/cs/secret';
export const LOCAL = 'http://hospital.example/cs/exam';
export const TARGET = 'http://example.org/cs/target';
export const OTHER_TARGET = 'http://example.org/cs/other-target';

export const bodySites: CodeSystem = {
  resourceType: 'CodeSystem',
  url: BODY,
  version: '2',
  name: 'BodySites',
  status: 'active',
  content: 'complete',
  hierarchyMeaning: 'is-a',
  property: [
    { code: 'modality', type: 'code' },
    { code: 'status', type: 'code' },
    { code: 'notSelectable', type: 'boolean' },
  ],
  concept: [
    {
      code: 'body',
      display: 'Whole body',
      property: [{ code: 'notSelectable', valueBoolean: true }],
      concept: [
        {
          code: 'head',
          display: 'Head',
          designation: [{ language: 'id', value: 'Kepala' }],
          property: [{ code: 'modality', valueCode: 'CT' }],
          concept: [
            { code: 'brain', display: 'Brain', property: [{ code: 'modality', valueCode: 'MR' }] },
            { code: 'skull', display: 'Skull', property: [{ code: 'modality', valueCode: 'CR' }] },
          ],
        },
        {
          code: 'chest',
          display: 'Chest',
          designation: [{ language: 'id', value: 'Dada' }],
          concept: [
            { code: 'lung', display: 'Lung' },
            { code: 'heart', display: 'Heart', property: [{ code: 'modality', valueCode: 'US' }] },
          ],
        },
        { code: 'abdomen', display: 'Abdomen' },
      ],
    },
    // Joined to the hierarchy by a parent property instead of nesting.
    { code: 'pelvis', display: 'Pelvis', property: [{ code: 'parent', valueCode: 'body' }] },
    { code: 'old-chest', display: 'Thorax (old code)', property: [{ code: 'status', valueCode: 'retired' }] },
  ],
};

export const foldedCodes: CodeSystem = {
  resourceType: 'CodeSystem',
  url: FOLDED,
  status: 'active',
  content: 'complete',
  caseSensitive: false,
  concept: [{ code: 'Abc', display: 'Mixed case' }],
};

export const secretCodes: CodeSystem = {
  resourceType: 'CodeSystem',
  url: SECRET,
  status: 'active',
  content: 'not-present',
};

export const targetCodes: CodeSystem = {
  resourceType: 'CodeSystem',
  url: TARGET,
  status: 'active',
  content: 'complete',
  concept: [
    { code: 'T-HEAD', display: 'Target head' },
    { code: 'T-CHEST', display: 'Target chest' },
    { code: 'T-OTHER', display: 'Target other' },
  ],
};

export function valueSet(url: string, compose: ValueSet['compose'], extra: Partial<ValueSet> = {}): ValueSet {
  return { resourceType: 'ValueSet', url, status: 'active', compose, ...extra };
}

/** local exam codes → TARGET and OTHER_TARGET. */
export const examMap: ConceptMap = {
  resourceType: 'ConceptMap',
  url: 'http://hospital.example/cm/exam',
  version: '1',
  status: 'active',
  sourceUri: 'http://hospital.example/vs/exam',
  targetUri: 'http://example.org/vs/target',
  group: [
    {
      source: LOCAL,
      target: TARGET,
      element: [
        { code: 'CT-HEAD', display: 'CT kepala', target: [{ code: 'T-HEAD', equivalence: 'equivalent' }] },
        {
          code: 'XR-CHEST',
          display: 'Foto thorax',
          target: [
            { code: 'T-OTHER', equivalence: 'inexact', comment: 'only when nothing better' },
            { code: 'T-CHEST', display: 'Chest (target)', equivalence: 'wider' },
          ],
        },
        { code: 'CONSULT', target: [{ equivalence: 'unmatched' }] },
      ],
    },
    {
      source: LOCAL,
      target: OTHER_TARGET,
      element: [{ code: 'CT-HEAD', target: [{ code: 'O-1', equivalence: 'equal' }] }],
    },
  ],
};

export function fixtureStore(): TerminologyStore {
  const store = new TerminologyStore();
  store.addAll([bodySites, foldedCodes, secretCodes, targetCodes, examMap]);
  return store;
}
