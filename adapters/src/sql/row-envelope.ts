import { newEnvelope, type Envelope } from '@simpul/infra';
import { stableUuid } from '../ingest/hl7/transaction-builder.ts';

export const SQL_ROW_CONTENT_TYPE = 'application/json';

/**
 * One row as a bus message. The id is derived from the source, the row's key and its watermark
 * value (its version), so reading the same version of a row again (after a crash between publish
 * and watermark save) publishes the same id, which the ingest worker skips; an updated row gets a new id.
 */
export function rowEnvelope(source: string, row: Record<string, unknown>, key: string, version: string, traceId?: string): Envelope<Record<string, unknown>> {
  return newEnvelope({
    id: stableUuid(`sql\n${source}\n${key}\n${version}`),
    kind: 'sql',
    source,
    contentType: SQL_ROW_CONTENT_TYPE,
    body: toJsonRow(row),
    headers: { rowKey: key, rowVersion: version },
    ...(traceId ? { traceId } : {}),
  });
}

/** Values JSON can carry: Dates as ISO text, binary as base64, bigints as text. */
export function toJsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value instanceof Date) out[column] = Number.isNaN(value.getTime()) ? null : value.toISOString();
    else if (Buffer.isBuffer(value)) out[column] = value.toString('base64');
    else if (typeof value === 'bigint') out[column] = value.toString();
    else out[column] = value === undefined ? null : value;
  }
  return out;
}
