import type { CodeSystem, CodeSystemConcept } from '@medplum/fhirtypes';
import { CODE_SYSTEM_CONTENT_MODES } from '../resource-types.ts';
import { isValidCode } from '../validate/resource-checks.ts';
import type { CsvLoadOptions } from './csv-metadata.ts';
import { resolveCsvMetadata } from './csv-metadata.ts';
import type { CsvRecord } from './csv-records.ts';
import type { LoadProblem } from './load-problem.ts';

/** Columns a CodeSystem CSV may have; `code` must come first, the others are optional. */
export const CODE_SYSTEM_CSV_COLUMNS = ['code', 'display', 'definition', 'parent'] as const;
type Column = (typeof CODE_SYSTEM_CSV_COLUMNS)[number];

interface Row {
  line: number;
  code: string;
  display?: string;
  definition?: string;
  parent?: string;
}

/**
 * Builds a CodeSystem from a `code,display[,definition][,parent]` CSV: the easy way to load a long
 * national list (e.g. KPTL) from a spreadsheet. `parent` makes an is-a hierarchy.
 */
export class CodeSystemCsvBuilder {
  private readonly source: string;
  private readonly columns: readonly Column[];
  private readonly rows: Row[] = [];
  private readonly lineOf = new Map<string, number>();

  /** Returns a problem message when the header is not a CodeSystem header. */
  static checkHeader(header: readonly string[]): string | undefined {
    if (header[0] !== 'code') return 'first column must be code';
    const seen = new Set<string>();
    for (const column of header) {
      if (!(CODE_SYSTEM_CSV_COLUMNS as readonly string[]).includes(column)) {
        return `unknown column ${JSON.stringify(column)} (expected ${CODE_SYSTEM_CSV_COLUMNS.join(', ')})`;
      }
      if (seen.has(column)) return `column ${column} appears twice`;
      seen.add(column);
    }
    return undefined;
  }

  constructor(source: string, header: readonly string[]) {
    this.source = source;
    this.columns = header as readonly Column[];
  }

  acceptRow(record: CsvRecord, problems: LoadProblem[]): void {
    const report = (message: string): void => {
      problems.push({ source: this.source, line: record.line, message });
    };
    if (record.fields.length !== this.columns.length) {
      report(`expected ${this.columns.length} columns (${this.columns.join(',')}), found ${record.fields.length}`);
      return;
    }
    const row: Row = { line: record.line, code: '' };
    this.columns.forEach((column, index) => {
      const value = record.fields[index];
      if (column === 'code') row.code = value;
      else if (value !== '') row[column] = value;
    });
    if (row.code === '') return report('missing code');
    if (!isValidCode(row.code)) return report(`code ${JSON.stringify(row.code)} has leading, trailing or repeated whitespace`);
    const firstLine = this.lineOf.get(row.code);
    if (firstLine !== undefined) return report(`code ${JSON.stringify(row.code)} is already defined on line ${firstLine}`);
    this.lineOf.set(row.code, record.line);
    this.rows.push(row);
  }

  build(preamble: ReadonlyMap<string, string>, options: CsvLoadOptions, problems: LoadProblem[]): CodeSystem | undefined {
    const metadata = resolveCsvMetadata('CodeSystem', this.source, preamble, options, problems);
    const content = preamble.get('content') ?? 'complete';
    if (!(CODE_SYSTEM_CONTENT_MODES as readonly string[]).includes(content)) {
      problems.push({ source: this.source, message: `content ${JSON.stringify(content)} is not one of ${CODE_SYSTEM_CONTENT_MODES.join(', ')}` });
    }
    for (const row of this.rows) {
      if (row.parent !== undefined && !this.lineOf.has(row.parent)) {
        problems.push({ source: this.source, line: row.line, message: `parent ${JSON.stringify(row.parent)} is not a code in this file` });
      }
    }
    if (this.rows.length === 0 && !problems.some((problem) => problem.line !== undefined)) {
      problems.push({ source: this.source, message: 'has a header but no codes' });
    }
    if (problems.length > 0) return undefined;

    const hasHierarchy = this.rows.some((row) => row.parent !== undefined);
    return {
      resourceType: 'CodeSystem',
      id: metadata.id,
      url: metadata.url,
      ...(metadata.version ? { version: metadata.version } : undefined),
      ...(metadata.name ? { name: metadata.name } : undefined),
      ...(metadata.title ? { title: metadata.title } : undefined),
      status: metadata.status,
      ...(metadata.description ? { description: metadata.description } : undefined),
      content: content as CodeSystem['content'],
      caseSensitive: true,
      ...(hasHierarchy ? { hierarchyMeaning: 'is-a' as const, property: [{ code: 'parent', type: 'code' as const }] } : undefined),
      count: this.rows.length,
      concept: this.rows.map(toConcept),
    };
  }
}

function toConcept(row: Row): CodeSystemConcept {
  return {
    code: row.code,
    ...(row.display ? { display: row.display } : undefined),
    ...(row.definition ? { definition: row.definition } : undefined),
    ...(row.parent ? { property: [{ code: 'parent', valueCode: row.parent }] } : undefined),
  };
}
