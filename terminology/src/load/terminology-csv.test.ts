import { Readable } from 'node:stream';
import { OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { terminologyErrorCode } from '../errors.ts';
import { TerminologyLoadError } from './load-problem.ts';
import { parseCodeSystemCsv, parseConceptMapCsv, parseTerminologyCsv } from './terminology-csv.ts';

const HEADER = 'source_code,source_display,target_system,target_code,target_display,equivalence';

async function loadError(promise: Promise<unknown>): Promise<TerminologyLoadError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TerminologyLoadError);
  return error as TerminologyLoadError;
}

describe('parseConceptMapCsv', () => {
  it('builds a ConceptMap from the preamble, quoted fields, blank lines, CRLF and a BOM', async () => {
    const text = [
      '\uFEFF# url: http://hospital.example/fhir/ConceptMap/sex',
      '# source: http://hospital.example/fhir/CodeSystem/sex',
      '# title: Sex codes',
      '',
      HEADER,
      'P,"Perempuan, dewasa",http://hl7.org/fhir/administrative-gender,female,Female,equal',
      '',
      'L,"Laki-laki ""L""",http://hl7.org/fhir/administrative-gender,male,,',
      'X,"two',
      'lines",http://hl7.org/fhir/administrative-gender,other,,Narrower',
      'X,,http://terminology.hl7.org/CodeSystem/v3-NullFlavor,UNK,,inexact',
      '',
    ].join('\r\n');
    const map = await parseConceptMapCsv(text, { source: 'maps/sex.csv' });
    expect(map.url).toBe('http://hospital.example/fhir/ConceptMap/sex');
    expect(map.title).toBe('Sex codes');
    expect(map.status).toBe('active');
    expect(map.group).toHaveLength(2);
    const [gender, nullFlavor] = map.group ?? [];
    expect(gender.source).toBe('http://hospital.example/fhir/CodeSystem/sex');
    expect(gender.target).toBe('http://hl7.org/fhir/administrative-gender');
    expect(gender.element.map((element) => [element.code, element.display])).toEqual([
      ['P', 'Perempuan, dewasa'],
      ['L', 'Laki-laki "L"'],
      ['X', 'two\nlines'],
    ]);
    expect(gender.element[1].target).toEqual([{ code: 'male', equivalence: 'equivalent' }]);
    // Narrower needs a comment (FHIR cmd-1); the importer names the row it came from.
    expect(gender.element[2].target?.[0]).toEqual({ code: 'other', equivalence: 'narrower', comment: 'Imported from sex.csv, line 9' });
    expect(nullFlavor.target).toBe('http://terminology.hl7.org/CodeSystem/v3-NullFlavor');
    expect(nullFlavor.element[0].target?.[0].comment).toBe('Imported from sex.csv, line 11');
  });

  it('takes url and source system from options first, and the id/url from the file name otherwise', async () => {
    const text = `# source: http://from-preamble\n${HEADER}\nA,,http://t,a,,\n`;
    const fromOptions = await parseConceptMapCsv(text, { source: 'x.csv', url: 'http://option/map', sourceSystem: 'http://from-options' });
    expect(fromOptions.url).toBe('http://option/map');
    expect(fromOptions.group?.[0].source).toBe('http://from-options');
    const fromName = await parseConceptMapCsv(text, { source: '/data/maps/RS Sehat radiology (v2).csv' });
    expect(fromName.id).toBe('RS-Sehat-radiology-v2');
    expect(fromName.url).toBe('https://simpul.dev/fhir/ConceptMap/RS-Sehat-radiology-v2');
    expect(fromName.group?.[0].source).toBe('http://from-preamble');
  });

  it('lists every bad row with its line number and what is wrong', async () => {
    const text = [
      '# source: http://local/codes', // 1
      HEADER, // 2
      'A,Alpha,http://t,a,,equal', // 3
      'B,Beta,http://t,,,equivalent', // 4 missing target_code
      'C,Gamma,http://t,c,,same', // 5 unknown equivalence
      ',Delta,http://t,d,,', // 6 missing source_code
      'E,Epsilon,http://t', // 7 too few columns
      'F,Phi,not a uri,f,,', // 8 bad system
      'A,Alpha again,http://t,a,,equal', // 9 duplicate of 3
      'G,Gee,,g,,', // 10 missing target_system
      'H,Aitch,http://t,h  h,,', // 11 double space in a code
      'U,Unmatched,http://t,,,unmatched', // 12 fine
    ].join('\n');
    const error = await loadError(parseConceptMapCsv(text, { source: 'bad.csv' }));
    expect(error.problems.map((problem) => [problem.line, problem.message])).toEqual([
      [4, 'missing target_code (only unmatched or disjoint rows may leave it blank)'],
      [5, expect.stringContaining('unknown equivalence "same" (expected one of relatedto, equivalent, equal, wider')],
      [6, 'missing source_code'],
      [7, expect.stringContaining('expected 6 columns')],
      [8, 'target_system "not a uri" is not an absolute URI'],
      [9, 'duplicates line 3 (same source_code, target_system and target_code)'],
      [10, 'missing target_system'],
      [11, 'target_code "h  h" has leading, trailing or repeated whitespace'],
    ]);
    expect(error.format().split('\n')[0]).toBe('bad.csv:4: missing target_code (only unmatched or disjoint rows may leave it blank)');
    expect(error).toBeInstanceOf(OperationOutcomeError);
    expect(terminologyErrorCode(error)).toBe('SIMPUL-TERM-007');
    expect(error.outcome.issue).toHaveLength(8);
  });

  it('keeps a stray quote inside a field as text', async () => {
    const map = await parseConceptMapCsv(`# source: http://s\n${HEADER}\nA,5" film,http://t,a,,\nB,b,http://t,b,,\n`, { source: 'q.csv' });
    expect(map.group?.[0].element.map((element) => element.display)).toEqual(['5" film', 'b']);
  });

  it('reports an unclosed quote instead of swallowing the rest of the file silently', async () => {
    const error = await loadError(parseConceptMapCsv(`# source: http://s\n${HEADER}\nA,"open,http://t,a,,\nB,b,http://t,b,,\n`, { source: 'q.csv' }));
    expect(error.problems).toEqual([expect.objectContaining({ message: expect.stringContaining('never closed') })]);
  });

  it('needs a source system', async () => {
    const error = await loadError(parseConceptMapCsv(`${HEADER}\nA,,http://t,a,,\n`, { source: 'nosource.csv' }));
    expect(error.problems[0].message).toContain('no source system');
  });

  it('rejects a wrong header, an empty file and a header without rows', async () => {
    const wrong = await loadError(parseConceptMapCsv('# c\nsource,target\nA,B\n', { source: 'h.csv' }));
    expect(wrong.problems).toEqual([{ source: 'h.csv', line: 2, message: expect.stringContaining(`must be exactly ${HEADER}`) }]);
    const empty = await loadError(parseConceptMapCsv('', { source: 'e.csv' }));
    expect(empty.problems[0].message).toBe('is empty: no header row');
    const headerOnly = await loadError(parseConceptMapCsv(`# source: http://s\n${HEADER}\n`, { source: 'o.csv' }));
    expect(headerOnly.problems[0].message).toBe('has a header but no mappings');
  });

  it('reports progress in bytes, ending at the total', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `C${i},Code ${i},http://t,t${i},,`).join('\n');
    const text = `# source: http://s\n${HEADER}\n${rows}\n`;
    const calls: Array<[number, number]> = [];
    const map = await parseConceptMapCsv(text, { source: 'big.csv', onProgress: (done, total) => calls.push([done, total]) });
    expect(map.group?.[0].element).toHaveLength(5000);
    const total = Buffer.byteLength(text);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.at(-1)).toEqual([total, total]);
    expect(calls.every(([done], i) => i === 0 || done >= calls[i - 1][0])).toBe(true);
  });

  it('decodes UTF-8 split across stream chunks', async () => {
    const bytes = Buffer.from(`# source: http://s\n${HEADER}\nK,Kéfir ü 日本,http://t,k,,\n`);
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // in the middle of the two bytes of é
    const map = await parseConceptMapCsv(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]), { source: 's.csv' });
    expect(map.group?.[0].element[0].display).toBe('Kéfir ü 日本');
  });
});

describe('parseCodeSystemCsv / parseTerminologyCsv', () => {
  it('builds a CodeSystem with an is-a hierarchy from the parent column', async () => {
    const text = '# url: http://terminology.kemkes.go.id/CodeSystem/kptl\n# version: 2024\ncode,display,parent\nRAD,Radiologi,\nRAD.1,"Radiografi thorax, 1 proyeksi",RAD\n';
    const resource = await parseTerminologyCsv(text, { source: 'kptl.csv' });
    expect(resource).toMatchObject({
      resourceType: 'CodeSystem',
      url: 'http://terminology.kemkes.go.id/CodeSystem/kptl',
      version: '2024',
      content: 'complete',
      hierarchyMeaning: 'is-a',
      concept: [
        { code: 'RAD', display: 'Radiologi' },
        { code: 'RAD.1', display: 'Radiografi thorax, 1 proyeksi', property: [{ code: 'parent', valueCode: 'RAD' }] },
      ],
    });
  });

  it('reports duplicate codes and unknown parents with their lines', async () => {
    const error = await loadError(parseCodeSystemCsv('code,display,parent\nA,Alpha,\nB,Beta,Z\nA,Again,\n', { source: 'cs.csv' }));
    expect(error.problems.map((problem) => [problem.line, problem.message])).toEqual([
      [3, 'parent "Z" is not a code in this file'],
      [4, 'code "A" is already defined on line 2'],
    ]);
  });

  it('names both accepted headers when it recognises neither', async () => {
    const error = await loadError(parseTerminologyCsv('foo,bar\n1,2\n', { source: 'x.csv' }));
    expect(error.problems[0]).toMatchObject({ line: 1, message: expect.stringContaining('a CodeSystem CSV with code[,display]') });
  });
});
