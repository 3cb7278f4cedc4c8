/**
 * The write-back destination ("direct DB sync"): runs one parameterised statement on a hospital
 * database for a routed resource, e.g. `UPDATE ris_order SET satusehat_id = :studyId WHERE acsn = :acsn`.
 * Runs inside the route bot's worker thread; one connection pool per database URL per thread.
 *
 * - Parameters are FHIRPath over the resource (first value). A parameter without a value means the
 *   resource is not ready for this write (the id it carries arrives with a later version): nothing is
 *   written and the delivery counts as done for this version; the next version runs it again.
 * - Values are bound, never spliced into the text: `:name` becomes `?` (MySQL) or `$n` (PostgreSQL).
 * - Connection failures, timeouts, deadlocks and too few rows changed (`minRowsAffected`) are retried;
 *   a statement the database refuses (syntax, unknown table or column, a constraint) is permanent.
 */
import { evalFhirPath } from '@medplum/core';
import { PermanentError, STATEMENT_PARAMETER, type SqlDestinationConfig } from '@simpul/infra';
import mysql from 'mysql2/promise';
import postgres from 'postgres';
import { RetryableDeliveryError, type DeliveryContext, type DeliveryResult } from '../routing/destination-driver.ts';

interface WriteBackDatabase {
  run(text: string, values: readonly unknown[], timeoutMs: number): Promise<number>;
}

const databases = new Map<string, WriteBackDatabase>();

export async function deliverToSql(context: DeliveryContext<SqlDestinationConfig>): Promise<DeliveryResult> {
  const { destination, resource, destinationName } = context;
  const names: string[] = [];
  const text = destination.statement.replace(STATEMENT_PARAMETER, (_placeholder, name: string) => {
    names.push(name);
    return destination.driver === 'mysql' ? '?' : `$${names.length}`;
  });
  const values: unknown[] = [];
  for (const name of names) {
    const value = parameterValue(destination.params[name], resource, name);
    if (value === undefined) {
      return { notApplicable: true, summary: `nothing written to ${destinationName}: :${name} (${destination.params[name]}) has no value in ${resource.resourceType}/${resource.id} yet` };
    }
    values.push(value);
  }
  const database = databaseFor(destination);
  let rows: number;
  try {
    rows = await database.run(text, values, destination.timeoutMs);
  } catch (error) {
    throw classify(error, destinationName);
  }
  if (rows < destination.minRowsAffected) {
    throw new RetryableDeliveryError(`${destinationName}: the statement changed ${rows} row(s), fewer than minRowsAffected (${destination.minRowsAffected}); the row may not exist yet`);
  }
  return { summary: `${rows} row(s) written to ${destinationName}`, remoteIds: { rowsAffected: String(rows) } };
}

function parameterValue(expression: string, resource: object, name: string): string | number | boolean | undefined {
  let result: unknown[];
  try {
    result = evalFhirPath(expression, resource);
  } catch (error) {
    throw new PermanentError(`parameter :${name}: the FHIRPath "${expression}" cannot be evaluated: ${(error as Error).message}`, { cause: error });
  }
  const first = result[0];
  if (first === undefined || first === null || first === '') return undefined;
  if (typeof first === 'string' || typeof first === 'number' || typeof first === 'boolean') return first;
  throw new PermanentError(`parameter :${name}: the FHIRPath "${expression}" gives a ${typeof first}, not a text, number or boolean (pick a primitive, e.g. ".value")`);
}

function databaseFor(destination: SqlDestinationConfig): WriteBackDatabase {
  const key = `${destination.driver} ${destination.url}`;
  let database = databases.get(key);
  if (!database) {
    database = destination.driver === 'mysql' ? mysqlDatabase(destination.url) : postgresDatabase(destination.url);
    databases.set(key, database);
  }
  return database;
}

function mysqlDatabase(url: string): WriteBackDatabase {
  const pool = mysql.createPool({ uri: url, connectionLimit: 4, connectTimeout: 10_000 });
  return {
    async run(text, values, timeoutMs) {
      const [result] = await pool.query({ sql: text, values: [...values], timeout: timeoutMs });
      return (result as { affectedRows?: number }).affectedRows ?? 0;
    },
  };
}

function postgresDatabase(url: string): WriteBackDatabase {
  const sql = postgres(url, { max: 4, connect_timeout: 10, onnotice: () => undefined, connection: { application_name: 'simpul-write-back' } });
  return {
    async run(text, values, timeoutMs) {
      const result = await sql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
        return tx.unsafe(text, values as postgres.ParameterOrJSON<never>[]);
      });
      return result.count;
    },
  };
}

/** MySQL error numbers and PostgreSQL SQLSTATE classes that no retry can fix. */
const MYSQL_PERMANENT = new Set([1054, 1064, 1146, 1048, 1062, 1406, 1366, 1292, 1452, 1451, 1142, 1143]);
const POSTGRES_PERMANENT_CLASSES = new Set(['22', '23', '42', '28']);

function classify(error: unknown, destinationName: string): Error {
  const detail = error instanceof Error ? error.message : String(error);
  const errno = (error as { errno?: unknown }).errno;
  const sqlState = (error as { code?: unknown }).code;
  const permanent =
    (typeof errno === 'number' && MYSQL_PERMANENT.has(errno)) ||
    (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState) && POSTGRES_PERMANENT_CLASSES.has(sqlState.slice(0, 2)));
  const text = `${destinationName}: the database refused the write-back: ${detail}`;
  return permanent ? new PermanentError(text, { cause: error }) : new RetryableDeliveryError(`${destinationName}: the write-back could not run: ${detail}`, { cause: error });
}
