import { describe, expect, it } from 'vitest';
import { buildTerminologyIndex } from './terminology-index.ts';

describe('buildTerminologyIndex', () => {
  const index = buildTerminologyIndex([
    {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'CodeSystem',
            url: 'urn:test:cs',
            status: 'active',
            content: 'complete',
            concept: [
              {
                code: 'a',
                display: 'A very long display that is not kept',
                definition: 'Not kept either',
                concept: [{ code: 'a1' }],
                property: [
                  { code: 'parent', valueCode: 'root' },
                  { code: 'status', valueCode: 'deprecated' },
                ],
              },
              { display: 'a concept without a code is skipped' },
            ],
          },
        },
        {
          resource: {
            resourceType: 'ValueSet',
            url: 'urn:test:vs',
            status: 'active',
            compose: { include: [{ system: 'urn:test:cs' }] },
          },
        },
        { resource: { resourceType: 'ValueSet', url: 'urn:test:no-compose', status: 'active' } },
      ],
    },
    // A later duplicate does not replace the first definition.
    { resourceType: 'ValueSet', url: 'urn:test:vs', status: 'draft', compose: { include: [{ system: 'urn:other' }] } },
    { resourceType: 'Patient' },
    null,
  ]);

  it('keeps codes, nesting and parent/child links of code systems, nothing else', () => {
    expect(index.codeSystem('urn:test:cs')).toEqual({
      url: 'urn:test:cs',
      content: 'complete',
      concepts: [{ code: 'a', nested: [{ code: 'a1' }], parentCodes: ['root'] }],
    });
  });

  it('keeps the first ValueSet compose per url and knows value sets without one', () => {
    expect(index.valueSetCompose('urn:test:vs')).toEqual({ include: [{ system: 'urn:test:cs' }] });
    expect(index.hasValueSet('urn:test:no-compose')).toBe(true);
    expect(index.valueSetCompose('urn:test:no-compose')).toBeUndefined();
    expect(index.hasValueSet('urn:test:missing')).toBe(false);
    expect(index.codeSystem('urn:test:missing')).toBeUndefined();
  });
});
