/**
 * Example bot: exactly-once effects on top of at-least-once deliveries.
 *
 * A delivery can arrive more than once (a retry after a timeout, a redelivery after a crash, a
 * replay from the dead-letter queue), always with the same `event.idempotencyKey`. This bot makes
 * its effect (counting deliveries per resource type) conditional on recording that key, in one
 * PostgreSQL transaction: `INSERT ... ON CONFLICT DO NOTHING`, and only if a row went in, the
 * effect. A second arrival changes nothing. Every arrival is also logged in an attempts table,
 * so tests can see that duplicates did arrive.
 *
 * Config: `bots.list[].module: bots/src/examples/idempotent-counter/index.ts`, secret
 * `DATABASE_URL` (where the tables live; created on first use).
 * Portable to Medplum: it reads only `event.input`, `event.secrets` and the idempotency key
 * (falling back to the `idempotency-key` header).
 */
import type { MedplumClient } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import postgres from 'postgres';
import type { SimpulBotEvent } from '../../runtime/bot-event.ts';

type Sql = ReturnType<typeof postgres>;

/** One pool per database per bot thread: bots are long-lived, a connection per delivery would not be. */
const pools = new Map<string, { sql: Sql; ready: Promise<void> }>();

export async function handler(_medplum: MedplumClient, event: SimpulBotEvent<Resource>): Promise<{ counted: boolean }> {
  const url = event.secrets.DATABASE_URL?.valueString;
  if (!url) throw new Error('secret DATABASE_URL is not set');
  const key = event.idempotencyKey ?? String(event.headers?.['idempotency-key'] ?? '');
  if (!key) throw new Error('the delivery has no idempotency key');
  const sql = await database(url);
  const resource = event.input;
  const reference = resource?.id ? `${resource.resourceType}/${resource.id}` : null;

  await sql`INSERT INTO bot_delivery_attempts (idempotency_key, attempt, resource) VALUES (${key}, ${event.attempt ?? 1}, ${reference})`;
  const counted = await sql.begin(async (tx) => {
    const inserted = await tx`
      INSERT INTO bot_delivery_effects (idempotency_key, resource, version_id, interaction)
      VALUES (${key}, ${reference}, ${event.versionId ?? null}, ${event.interaction ?? null})
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING idempotency_key`;
    if (inserted.length === 0) return false;
    await tx`
      INSERT INTO bot_delivery_counter (resource_type, deliveries) VALUES (${resource?.resourceType ?? 'unknown'}, 1)
      ON CONFLICT (resource_type) DO UPDATE SET deliveries = bot_delivery_counter.deliveries + 1`;
    return true;
  });
  return { counted };
}

function database(url: string): Promise<Sql> {
  let pool = pools.get(url);
  if (!pool) {
    const sql = postgres(url, { max: 4, onnotice: () => undefined, connection: { application_name: 'simpul-bot-idempotent-counter' } });
    pool = { sql, ready: createTables(sql) };
    pools.set(url, pool);
    // A failed creation is tried again by the next delivery rather than remembered.
    pool.ready.catch(() => pools.delete(url));
  }
  const { sql, ready } = pool;
  return ready.then(() => sql);
}

async function createTables(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    // Replicas starting together would race on CREATE TABLE IF NOT EXISTS; take turns.
    await tx`SELECT pg_advisory_xact_lock(7140202614)`;
    await tx`CREATE TABLE IF NOT EXISTS bot_delivery_effects (
      idempotency_key text PRIMARY KEY, resource text, version_id text, interaction text, at timestamptz NOT NULL DEFAULT now())`;
    await tx`CREATE TABLE IF NOT EXISTS bot_delivery_attempts (
      id bigserial PRIMARY KEY, idempotency_key text NOT NULL, attempt int NOT NULL, resource text, at timestamptz NOT NULL DEFAULT now())`;
    await tx`CREATE TABLE IF NOT EXISTS bot_delivery_counter (resource_type text PRIMARY KEY, deliveries bigint NOT NULL)`;
  });
}
