/** The legacy-database poller (`simpul sql`) and its dry run (`simpul sql test`). */
export { batchStatement, type BatchSpec, type BatchStatement, type WatermarkPosition } from './batch-query.ts';
export { openLegacyDatabase, type LegacyDatabase, type QueryResult } from './legacy-database.ts';
export { rowEnvelope, SQL_ROW_CONTENT_TYPE } from './row-envelope.ts';
export { runSql, type RunningSql } from './run-sql.ts';
export { SqlPoller, type IngestPublisher, type SqlPollerOptions, type SqlSourceState, type SqlSourceStatus } from './sql-poller.ts';
export { SqlSourceError, type SqlSourceErrorReason } from './sql-source-error.ts';
export { testSqlSource, type SqlTestRow } from './sql-test.ts';
export { WatermarkStore } from './watermark-store.ts';
