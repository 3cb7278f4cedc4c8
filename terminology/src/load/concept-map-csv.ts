import { basename } from 'node:path';
import type { ConceptMap, ConceptMapGroup, ConceptMapGroupElement, ConceptMapGroupElementTarget } from '@medplum/fhirtypes';
import { CONCEPT_MAP_EQUIVALENCES, isConceptMapEquivalence, isNegativeEquivalence } from '../resource-types.ts';
import type { ConceptMapEquivalence } from '../resource-types.ts';
import { isAbsoluteUri, isValidCode } from '../validate/resource-checks.ts';
import type { CsvLoadOptions } from './csv-metadata.ts';
import { resolveCsvMetadata } from './csv-metadata.ts';
import type { CsvRecord } from './csv-records.ts';
import type { LoadProblem } from './load-problem.ts';

/** The header a ConceptMap CSV must start with, exactly. */
export const CONCEPT_MAP_CSV_HEADER = [
  'source_code',
  'source_display',
  'target_system',
  'target_code',
  'target_display',
  'equivalence',
] as const;

/** A blank equivalence cell means this; FHIR requires one on every target. */
export const DEFAULT_CSV_EQUIVALENCE: ConceptMapEquivalence = 'equivalent';

interface Row {
  line: number;
  sourceCode: string;
  sourceDisplay: string;
  targetSystem: string;
  targetCode: string;
  targetDisplay: string;
  equivalence: ConceptMapEquivalence;
}

/**
 * Builds a ConceptMap from CSV rows (after the header). Every bad row is recorded with its line
 * and what is wrong; `build` returns nothing when there was any problem.
 */
export class ConceptMapCsvBuilder {
  private readonly source: string;
  private readonly rows: Row[] = [];
  private readonly firstLineOf = new Map<string, number>();

  constructor(source: string) {
    this.source = source;
  }

  acceptRow(record: CsvRecord, problems: LoadProblem[]): void {
    const report = (message: string): void => {
      problems.push({ source: this.source, line: record.line, message });
    };
    if (record.fields.length !== CONCEPT_MAP_CSV_HEADER.length) {
      report(`expected ${CONCEPT_MAP_CSV_HEADER.length} columns (${CONCEPT_MAP_CSV_HEADER.join(',')}), found ${record.fields.length}`);
      return;
    }
    const [sourceCode, sourceDisplay, targetSystem, targetCode, targetDisplay, equivalenceCell] = record.fields;
    const before = problems.length;
    if (sourceCode === '') report('missing source_code');
    else if (!isValidCode(sourceCode)) report(`source_code ${JSON.stringify(sourceCode)} has leading, trailing or repeated whitespace`);
    const equivalenceText = equivalenceCell === '' ? DEFAULT_CSV_EQUIVALENCE : equivalenceCell.toLowerCase();
    const equivalence = isConceptMapEquivalence(equivalenceText) ? equivalenceText : undefined;
    if (!equivalence) {
      report(`unknown equivalence ${JSON.stringify(equivalenceCell)} (expected one of ${CONCEPT_MAP_EQUIVALENCES.join(', ')}, or blank for ${DEFAULT_CSV_EQUIVALENCE})`);
    }
    if (targetSystem === '') report('missing target_system');
    else if (!isAbsoluteUri(targetSystem)) report(`target_system ${JSON.stringify(targetSystem)} is not an absolute URI`);
    if (targetCode === '') {
      if (equivalence && !isNegativeEquivalence(equivalence)) report(`missing target_code (only unmatched or disjoint rows may leave it blank)`);
    } else if (!isValidCode(targetCode)) {
      report(`target_code ${JSON.stringify(targetCode)} has leading, trailing or repeated whitespace`);
    }
    if (problems.length > before || !equivalence) return;

    const key = `${sourceCode}\u0000${targetSystem}\u0000${targetCode}`;
    const firstLine = this.firstLineOf.get(key);
    if (firstLine !== undefined) {
      report(`duplicates line ${firstLine} (same source_code, target_system and target_code)`);
      return;
    }
    this.firstLineOf.set(key, record.line);
    this.rows.push({ line: record.line, sourceCode, sourceDisplay, targetSystem, targetCode, targetDisplay, equivalence });
  }

  build(preamble: ReadonlyMap<string, string>, options: CsvLoadOptions, problems: LoadProblem[]): ConceptMap | undefined {
    const metadata = resolveCsvMetadata('ConceptMap', this.source, preamble, options, problems);
    const sourceSystem = options.sourceSystem ?? preamble.get('source');
    if (!sourceSystem) {
      problems.push({
        source: this.source,
        message: 'no source system: add a line "# source: <code system URI of source_code>" before the header, or pass sourceSystem',
      });
    } else if (!isAbsoluteUri(sourceSystem)) {
      problems.push({ source: this.source, message: `source system ${JSON.stringify(sourceSystem)} is not an absolute URI` });
    }
    if (this.rows.length === 0 && !problems.some((problem) => problem.line !== undefined)) {
      problems.push({ source: this.source, message: 'has a header but no mappings' });
    }
    if (problems.length > 0 || !sourceSystem) return undefined;

    const groups = new Map<string, ConceptMapGroup & { element: ConceptMapGroupElement[] }>();
    const elements = new Map<string, ConceptMapGroupElement & { target: ConceptMapGroupElementTarget[] }>();
    for (const row of this.rows) {
      let group = groups.get(row.targetSystem);
      if (!group) {
        group = { source: sourceSystem, target: row.targetSystem, element: [] };
        groups.set(row.targetSystem, group);
      }
      const elementKey = `${row.targetSystem}\u0000${row.sourceCode}`;
      let element = elements.get(elementKey);
      if (!element) {
        element = { code: row.sourceCode, ...(row.sourceDisplay ? { display: row.sourceDisplay } : undefined), target: [] };
        elements.set(elementKey, element);
        group.element.push(element);
      }
      element.target.push(toTarget(row, basename(this.source)));
    }
    return {
      resourceType: 'ConceptMap',
      id: metadata.id,
      url: metadata.url,
      ...(metadata.version ? { version: metadata.version } : undefined),
      ...(metadata.name ? { name: metadata.name } : undefined),
      ...(metadata.title ? { title: metadata.title } : undefined),
      status: metadata.status,
      ...(metadata.description ? { description: metadata.description } : undefined),
      group: [...groups.values()],
    };
  }
}

function toTarget(row: Row, fileName: string): ConceptMapGroupElementTarget {
  return {
    ...(row.targetCode ? { code: row.targetCode } : undefined),
    ...(row.targetDisplay ? { display: row.targetDisplay } : undefined),
    equivalence: row.equivalence,
    // FHIR R4 cmd-1 wants a comment on narrower and inexact mappings; the source row is the honest one.
    ...(row.equivalence === 'narrower' || row.equivalence === 'inexact'
      ? { comment: `Imported from ${fileName}, line ${row.line}` }
      : undefined),
  };
}
