import type { Readable } from 'node:stream';
import type { CodeSystem, ConceptMap } from '@medplum/fhirtypes';
import type { TerminologyResource } from '../resource-types.ts';
import { checkTerminologyResource } from '../validate/validate-resource.ts';
import { CodeSystemCsvBuilder, CODE_SYSTEM_CSV_COLUMNS } from './code-system-csv.ts';
import { CONCEPT_MAP_CSV_HEADER, ConceptMapCsvBuilder } from './concept-map-csv.ts';
import type { CsvLoadOptions } from './csv-metadata.ts';
import type { ProgressCallback } from './csv-records.ts';
import { readCsvRecords } from './csv-records.ts';
import type { LoadProblem } from './load-problem.ts';
import { TerminologyLoadError } from './load-problem.ts';

export interface TerminologyCsvOptions extends CsvLoadOptions {
  /** Names the input in problems and supplies the default id/url (the file path or name). */
  source: string;
  /** `(doneBytes, totalBytes)`, throttled; the last call has done === total. */
  onProgress?: ProgressCallback;
  /** Byte size of a stream input, for progress. */
  totalBytes?: number;
}

type Builder = ConceptMapCsvBuilder | CodeSystemCsvBuilder;
type Kind = 'ConceptMap' | 'CodeSystem';

/**
 * A ConceptMap (header `source_code,source_display,target_system,target_code,target_display,equivalence`)
 * or a CodeSystem (header `code[,display][,definition][,parent]`) from CSV, chosen by the header.
 * Throws TerminologyLoadError listing every bad row with its line number.
 */
export async function parseTerminologyCsv(input: string | Readable, options: TerminologyCsvOptions): Promise<TerminologyResource> {
  return parseCsv(input, options);
}

/** Like parseTerminologyCsv, but the file must be a ConceptMap CSV. */
export async function parseConceptMapCsv(input: string | Readable, options: TerminologyCsvOptions): Promise<ConceptMap> {
  return (await parseCsv(input, options, 'ConceptMap')) as ConceptMap;
}

/** Like parseTerminologyCsv, but the file must be a CodeSystem CSV. */
export async function parseCodeSystemCsv(input: string | Readable, options: TerminologyCsvOptions): Promise<CodeSystem> {
  return (await parseCsv(input, options, 'CodeSystem')) as CodeSystem;
}

async function parseCsv(input: string | Readable, options: TerminologyCsvOptions, expected?: Kind): Promise<TerminologyResource> {
  const { source } = options;
  const problems: LoadProblem[] = [];
  let builder: Builder | undefined;
  let headerRejected = false;
  const { preamble, problems: syntaxProblems } = await readCsvRecords(input, options, (record) => {
    if (headerRejected) return;
    if (builder) {
      builder.acceptRow(record, problems);
      return;
    }
    const chosen = chooseBuilder(source, record.fields, expected);
    if (typeof chosen === 'string') {
      headerRejected = true;
      problems.push({ source, line: record.line, message: chosen });
    } else {
      builder = chosen;
    }
  });
  problems.push(...syntaxProblems);
  if (!builder && !headerRejected) problems.push({ source, message: 'is empty: no header row' });
  const resource = builder?.build(preamble, options, problems);
  if (!resource || problems.length > 0) throw new TerminologyLoadError(sortByLine(problems));
  const leftovers = checkTerminologyResource(resource);
  if (leftovers.length > 0) {
    throw new TerminologyLoadError(leftovers.map((problem) => ({ source, path: problem.path, message: problem.message })));
  }
  return resource;
}

function chooseBuilder(source: string, header: readonly string[], expected: Kind | undefined): Builder | string {
  const conceptMapHeader = CONCEPT_MAP_CSV_HEADER.join(',');
  const codeSystemHeader = `${CODE_SYSTEM_CSV_COLUMNS[0]}[,${CODE_SYSTEM_CSV_COLUMNS.slice(1).join('][,')}]`;
  const found = JSON.stringify(header.join(','));
  if (header.join(',') === conceptMapHeader && expected !== 'CodeSystem') return new ConceptMapCsvBuilder(source);
  if (header[0] === 'code' && expected !== 'ConceptMap') {
    const problem = CodeSystemCsvBuilder.checkHeader(header);
    return problem ? `CodeSystem header: ${problem}` : new CodeSystemCsvBuilder(source, header);
  }
  if (expected === 'ConceptMap') return `the header must be exactly ${conceptMapHeader}, found ${found}`;
  if (expected === 'CodeSystem') return `the header must be ${codeSystemHeader}, found ${found}`;
  return `unrecognised header ${found}: a ConceptMap CSV starts with ${conceptMapHeader}, a CodeSystem CSV with ${codeSystemHeader}`;
}

function sortByLine(problems: LoadProblem[]): LoadProblem[] {
  return [...problems].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
}
