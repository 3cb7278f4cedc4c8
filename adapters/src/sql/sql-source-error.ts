export type SqlSourceErrorReason =
  /** An expected column is missing, a value has another type, a watermark value is empty: the poller stops advancing until the query or the config is fixed. */
  | 'schema-drift'
  /** The database refused or failed the query, or cannot be reached: retried with backoff. */
  | 'database'
  /** The bus did not confirm the batch: retried with backoff (the watermark stays where it was). */
  | 'bus';

/** A poller problem, naming the source and, where known, the column and the row key. */
export class SqlSourceError extends Error {
  readonly reason: SqlSourceErrorReason;
  readonly source: string;
  readonly column?: string;
  readonly rowKey?: string;

  constructor(options: { reason: SqlSourceErrorReason; source: string; message: string; column?: string; rowKey?: string; cause?: unknown }) {
    const where = [`sql source "${options.source}"`, options.column ? `column "${options.column}"` : undefined, options.rowKey !== undefined ? `row key ${options.rowKey}` : undefined]
      .filter(Boolean)
      .join(', ');
    super(`${where}: ${options.message}`, { cause: options.cause });
    this.name = 'SqlSourceError';
    this.reason = options.reason;
    this.source = options.source;
    this.column = options.column;
    this.rowKey = options.rowKey;
  }
}
