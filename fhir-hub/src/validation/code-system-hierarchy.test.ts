import { describe, expect, it } from 'vitest';
import { ancestorsOf, buildCodeSystemHierarchy, descendantsOf } from './code-system-hierarchy.ts';
import type { IndexedCodeSystem } from './terminology-index.ts';

const codeSystem: IndexedCodeSystem = {
  url: 'urn:test:animals',
  content: 'complete',
  concepts: [
    {
      code: 'animal',
      nested: [
        { code: 'mammal', nested: [{ code: 'dog' }, { code: 'cat' }] },
        { code: 'bird', nested: [{ code: 'penguin' }] },
      ],
    },
    // Linked by properties rather than nesting, as some v3 code systems do; `bat` has two parents.
    { code: 'bat', parentCodes: ['mammal', 'flyer'] },
    { code: 'flyer', childCodes: ['sparrow'] },
    { code: 'sparrow' },
  ],
};

describe('buildCodeSystemHierarchy', () => {
  const hierarchy = buildCodeSystemHierarchy(codeSystem);

  it('lists every code in the code system order', () => {
    expect([...hierarchy.codes]).toEqual(['animal', 'mammal', 'dog', 'cat', 'bird', 'penguin', 'bat', 'flyer', 'sparrow']);
  });

  it('follows nesting and parent/child properties for descendants', () => {
    expect([...descendantsOf(hierarchy, 'animal')]).toEqual(['mammal', 'dog', 'cat', 'bat', 'bird', 'penguin']);
    expect(descendantsOf(hierarchy, 'flyer')).toEqual(new Set(['sparrow', 'bat']));
    expect(descendantsOf(hierarchy, 'dog').size).toBe(0);
    expect(descendantsOf(hierarchy, 'no-such-code').size).toBe(0);
  });

  it('finds ancestors through every parent', () => {
    expect(ancestorsOf(hierarchy, 'bat')).toEqual(new Set(['mammal', 'animal', 'flyer']));
  });

  it('tolerates cycles in the source data', () => {
    const cyclic = buildCodeSystemHierarchy({
      url: 'urn:test:cycle',
      content: 'complete',
      concepts: [
        { code: 'a', childCodes: ['b'] },
        { code: 'b', childCodes: ['a'] },
      ],
    });
    expect(descendantsOf(cyclic, 'a')).toEqual(new Set(['b']));
  });

  it('handles a very deep concept tree without recursion', () => {
    let concept: { code: string; nested?: unknown[] } = { code: 'c0' };
    for (let i = 1; i < 50_000; i++) {
      concept = { code: `c${i}`, nested: [concept] };
    }
    const deep = buildCodeSystemHierarchy({ url: 'urn:test:deep', content: 'complete', concepts: [concept as never] });
    expect(deep.codes.size).toBe(50_000);
    expect(descendantsOf(deep, 'c49999').size).toBe(49_999);
  });
});
