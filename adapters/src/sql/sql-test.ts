import type { Bundle } from '@medplum/fhirtypes';
import type { SqlSourceConfig } from '@simpul/infra';
import type { CodeTranslator } from '../ingest/hl7/index.ts';
import { loadTemplate, mapWithTemplate } from '../mapping/index.ts';
import { batchStatement } from './batch-query.ts';
import { checkColumnsPresent } from './check-columns.ts';
import { openLegacyDatabase } from './legacy-database.ts';
import { rowEnvelope, toJsonRow } from './row-envelope.ts';

export interface SqlTestRow {
  rowKey: string;
  row: Record<string, unknown>;
  /** The transaction the ingest worker would write, or why the template fails on this row. */
  bundle?: Bundle;
  error?: string;
}

/**
 * `simpul sql test <source>`: the source's query once from the beginning (first `limit` rows, in
 * watermark order) and each row's mapped FHIR. Reads only: no watermark, no bus, no hub write.
 */
export async function testSqlSource(source: SqlSourceConfig, options: { limit: number; translator: CodeTranslator; configKey: string }): Promise<{ columns: string[]; rows: SqlTestRow[] }> {
  const template = loadTemplate(source.mapping, `${options.configKey}.mapping`);
  const database = await openLegacyDatabase(source);
  try {
    const statement = batchStatement(source.driver, { query: source.query, column: source.watermark.column, key: source.watermark.key, limit: options.limit });
    const result = await database.read(statement, source.queryTimeoutSeconds * 1000);
    checkColumnsPresent(source.name, result.columns, [source.watermark.column, source.watermark.key, ...Object.keys(source.expectedColumns)]);
    const rows: SqlTestRow[] = [];
    for (const raw of result.rows) {
      const row = toJsonRow(raw);
      const rowKey = String(row[source.watermark.key]);
      const envelope = rowEnvelope(source.name, raw, rowKey, String(row[source.watermark.column]));
      try {
        const mapped = await mapWithTemplate(template, row, { kind: 'sql', source: source.name, messageId: envelope.id, receivedAt: envelope.receivedAt, rowKey, translator: options.translator });
        rows.push({ rowKey, row, bundle: mapped.bundle });
      } catch (err) {
        rows.push({ rowKey, row, error: (err as Error).message });
      }
    }
    return { columns: result.columns, rows };
  } finally {
    await database.close();
  }
}
