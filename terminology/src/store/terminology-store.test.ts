import { describe, expect, it } from 'vitest';
import { BODY, bodySites, examMap, fixtureStore, LOCAL, TARGET } from '../../test/fixtures.ts';
import { thrownBy } from '../../test/thrown-by.ts';
import { terminologyErrorCode } from '../errors.ts';
import { TerminologyStore } from './terminology-store.ts';

describe('TerminologyStore', () => {
  it('finds resources by canonical URL, with url|version and explicit versions', () => {
    const store = fixtureStore();
    expect(store.getCodeSystem(BODY)?.name).toBe('BodySites');
    expect(store.getCodeSystem(`${BODY}|2`)?.version).toBe('2');
    expect(store.getCodeSystem(BODY, '2')?.version).toBe('2');
    expect(store.getCodeSystem(BODY, '1')).toBeUndefined();
    expect(store.getConceptMap('http://hospital.example/cm/exam')?.version).toBe('1');
    expect(store.getValueSet(BODY)).toBeUndefined();
  });

  it('returns the version added last when none is asked for, and replaces the same version', () => {
    const store = new TerminologyStore();
    store.add({ ...bodySites, version: '3', name: 'Three' });
    store.add({ ...bodySites, version: '1', name: 'One' });
    expect(store.getCodeSystem(BODY)?.name).toBe('One');
    store.add({ ...bodySites, version: '3', name: 'Three again' });
    expect(store.getCodeSystem(BODY)?.name).toBe('Three again');
    expect(store.list('CodeSystem')).toHaveLength(2);
  });

  it('counts every change in version()', () => {
    const store = new TerminologyStore();
    const start = store.version();
    store.add(bodySites);
    expect(store.version()).toBe(start + 1);
    expect(store.remove('http://nothing.example')).toBe(0);
    expect(store.version()).toBe(start + 1);
    expect(store.remove(`${BODY}|2`)).toBe(1);
    expect(store.version()).toBe(start + 2);
    expect(store.getCodeSystem(BODY)).toBeUndefined();
  });

  it('removes one version or all of them', () => {
    const store = new TerminologyStore();
    store.addAll([{ ...bodySites, version: '1' }, { ...bodySites, version: '2' }]);
    expect(store.remove(BODY, '1')).toBe(1);
    expect(store.getCodeSystem(BODY)?.version).toBe('2');
    store.add({ ...bodySites, version: '1' });
    expect(store.remove(BODY)).toBe(2);
    expect(store.size).toBe(0);
  });

  it('keeps its own frozen copy: neither the caller nor a reader can change stored content', () => {
    const store = new TerminologyStore();
    const mine = structuredClone(bodySites);
    store.add(mine);
    mine.concept![0].code = 'changed';
    expect(store.codeSystemIndex(BODY)?.get('body')).toBeDefined();
    const stored = store.getCodeSystem(BODY)!;
    expect(() => {
      (stored.concept![0] as { display?: string }).display = 'hacked';
    }).toThrow(TypeError);
  });

  it('rejects a resource it could not index, naming every problem', () => {
    const store = new TerminologyStore();
    const caught = thrownBy(() =>
      store.add({ resourceType: 'ConceptMap', status: 'active', group: [{ element: [{ code: 'a', target: [{ code: 'b', equivalence: 'same' as 'equal' }] }] }] }),
    );
    expect(terminologyErrorCode(caught)).toBe('SIMPUL-TERM-006');
    const texts = (caught as { outcome: { issue: Array<{ details: { text: string } }> } }).outcome.issue.map((issue) => issue.details.text);
    expect(texts).toEqual([
      'ConceptMap.url: is required',
      'ConceptMap.group[0].source: is required',
      expect.stringContaining('ConceptMap.group[0].element[0].target[0].equivalence: unknown value "same"'),
      'ConceptMap.group[0].target: is required: the system of the target codes',
    ]);
    expect(store.size).toBe(0);
  });

  it('indexes ConceptMaps by source and target system, latest version only', () => {
    const store = fixtureStore();
    expect(store.conceptMapsFrom(LOCAL).map((map) => map.url)).toEqual([examMap.url]);
    expect(store.conceptMapsTo(TARGET).map((map) => map.url)).toEqual([examMap.url]);
    store.add({ ...examMap, version: '2', group: [{ ...examMap.group![0], source: 'http://elsewhere.example' }] });
    expect(store.conceptMapsFrom(LOCAL)).toEqual([]);
    expect(store.conceptMapsFrom('http://elsewhere.example').map((map) => map.version)).toEqual(['2']);
  });

  it('keeps derived values until the next change', () => {
    const store = fixtureStore();
    let computed = 0;
    const compute = (): number => ++computed;
    expect(store.derived('k', compute)).toBe(1);
    expect(store.derived('k', compute)).toBe(1);
    store.remove(TARGET);
    expect(store.derived('k', compute)).toBe(2);
  });
});
