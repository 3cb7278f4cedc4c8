import { describe, expect, it } from 'vitest';
import { parseTerminologyJson, parseTerminologyYaml } from './fhir-documents.ts';
import { TerminologyLoadError } from './load-problem.ts';

const codeSystem = {
  resourceType: 'CodeSystem',
  url: 'http://example.org/cs',
  status: 'active',
  content: 'complete',
  concept: [{ code: 'a', display: 'A' }],
};
const conceptMap = {
  resourceType: 'ConceptMap',
  url: 'http://example.org/cm',
  status: 'active',
  group: [{ source: 'http://example.org/cs', target: 'http://example.org/other', element: [{ code: 'a', target: [{ code: 'x', equivalence: 'equal' }] }] }],
};

function problemsOf(action: () => unknown): TerminologyLoadError['problems'] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TerminologyLoadError);
    return (error as TerminologyLoadError).problems;
  }
  throw new Error('expected a TerminologyLoadError');
}

describe('parseTerminologyJson', () => {
  it('reads a resource, a Bundle of resources and a list', () => {
    expect(parseTerminologyJson(JSON.stringify(codeSystem), 'a.json')).toHaveLength(1);
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: codeSystem }, { resource: conceptMap }] };
    expect(parseTerminologyJson(JSON.stringify(bundle), 'b.json').map((r) => r.resourceType)).toEqual(['CodeSystem', 'ConceptMap']);
    expect(parseTerminologyJson(JSON.stringify([codeSystem, conceptMap]), 'c.json')).toHaveLength(2);
  });

  it('names the line of a JSON syntax error', () => {
    expect(problemsOf(() => parseTerminologyJson('{\n  "resourceType": "CodeSystem",\n  oops\n}', 'broken.json'))).toEqual([
      { source: 'broken.json', line: 3, message: expect.stringContaining('not valid JSON') },
    ]);
  });

  it('lists every problem with its element path, and stores nothing', () => {
    const bundle = {
      resourceType: 'Bundle',
      entry: [
        { resource: { resourceType: 'Patient', id: 'p1' } },
        { resource: { ...codeSystem, concept: [{ code: 'a' }, { code: 'a' }, { code: ' b' }] } },
        { resource: { ...conceptMap, group: [{ source: 'http://s', target: 'http://t', element: [{ code: 'a', target: [{ code: 'x', equivalence: 'same' }] }] }] } },
        { resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ concept: [{ code: 'a' }], filter: [{ property: 'concept', op: 'is-a', value: 'a' }] }] } } },
        { fullUrl: 'urn:uuid:1' },
      ],
    };
    expect(problemsOf(() => parseTerminologyJson(JSON.stringify(bundle), 'mixed.json')).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'Bundle.entry[0].resource.resourceType: the string "Patient" is not a terminology resource (expected CodeSystem, ValueSet, ConceptMap, or a Bundle of them)',
      'Bundle.entry[1].resource.concept[1].code: code "a" is defined more than once',
      'Bundle.entry[1].resource.concept[2].code: " b" is not a valid code (no leading, trailing or repeated whitespace)',
      expect.stringMatching(/^Bundle\.entry\[2\]\.resource\.group\[0\]\.element\[0\]\.target\[0\]\.equivalence: unknown value "same"/),
      'Bundle.entry[3].resource.url: is required',
      'Bundle.entry[3].resource.compose.include[0]: needs a system or a valueSet',
      'Bundle.entry[3].resource.compose.include[0]: cannot have both concept and filter (FHIR vsd-3)',
      'Bundle.entry[3].resource.compose.include[0]: concept and filter need a system',
      'Bundle.entry[4]: has no resource',
    ]);
  });

  it('stops hostile nesting with a problem instead of a stack overflow', () => {
    // Built as text: JSON.stringify itself overflows on this depth.
    const depth = 5000;
    const opening = Array.from({ length: depth }, (_, i) => `[{"code":"c${i}","concept":`).join('');
    const text = `{"resourceType":"CodeSystem","url":"http://x","status":"active","content":"complete","concept":${opening}[{"code":"leaf"}]${'}]'.repeat(depth)}}`;
    const problems = problemsOf(() => parseTerminologyJson(text, 'deep.json'));
    expect(problems).toEqual([expect.objectContaining({ message: 'concepts are nested deeper than 64 levels' })]);
  });

  it('treats codes like __proto__ as plain codes', () => {
    const [resource] = parseTerminologyJson(JSON.stringify({ ...codeSystem, concept: [{ code: '__proto__' }, { code: 'constructor' }] }), 'p.json');
    expect(resource.resourceType).toBe('CodeSystem');
    expect(({} as Record<string, unknown>).code).toBeUndefined();
  });

  it('refuses a file without terminology', () => {
    expect(problemsOf(() => parseTerminologyJson('[]', 'empty.json'))[0].message).toBe('holds no CodeSystem, ValueSet or ConceptMap');
  });
});

describe('parseTerminologyYaml', () => {
  it('reads several documents', () => {
    const yaml = `resourceType: CodeSystem\nurl: http://example.org/cs\nstatus: active\ncontent: complete\nconcept:\n  - code: a\n---\nresourceType: ValueSet\nurl: http://example.org/vs\nstatus: active\ncompose:\n  include:\n    - system: http://example.org/cs\n`;
    expect(parseTerminologyYaml(yaml, 'two.yaml').map((r) => r.resourceType)).toEqual(['CodeSystem', 'ValueSet']);
  });

  it('names the line of a YAML syntax error', () => {
    const problems = problemsOf(() => parseTerminologyYaml('resourceType: CodeSystem\nurl: [unclosed\nstatus: active\n', 'bad.yaml'));
    expect(problems[0]).toMatchObject({ source: 'bad.yaml', message: expect.stringContaining('not valid YAML') });
    expect(problems[0].line).toBeGreaterThanOrEqual(2);
  });

  it('caps alias expansion (billion laughs)', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const problems = problemsOf(() => parseTerminologyYaml(lines.join('\n'), 'bomb.yaml'));
    expect(problems[0].message).toContain('Excessive alias count');
  });
});
