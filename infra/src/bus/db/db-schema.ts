import type postgres from 'postgres';

export type BusSql = postgres.Sql<Record<string, never>>;

/** Schema of the database bus; its tables stay apart from the hub's. */
export const BUS_SCHEMA = 'simpul_bus';
/** LISTEN/NOTIFY channel; the payload is the queue that got a message. */
export const NOTIFY_CHANNEL = 'simpul_bus';

/**
 * The broker's state as tables: exchanges, queues (with their RabbitMQ-style arguments, which carry
 * the retry TTLs), bindings, and one row per message per queue. A message in a retry queue waits
 * for `visible_at`; a consumer holds a message by leasing it (`lease_until`, `lease_token`) and
 * deletes it to acknowledge. `deliveries` counts leases since it last moved (for `redelivered`
 * and the delivery limit).
 */
const DDL = `
CREATE SCHEMA IF NOT EXISTS ${BUS_SCHEMA};
CREATE TABLE IF NOT EXISTS ${BUS_SCHEMA}.exchanges (
  name text PRIMARY KEY,
  type text NOT NULL
);
CREATE TABLE IF NOT EXISTS ${BUS_SCHEMA}.queues (
  name text PRIMARY KEY,
  arguments jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS ${BUS_SCHEMA}.bindings (
  exchange text NOT NULL REFERENCES ${BUS_SCHEMA}.exchanges (name),
  queue text NOT NULL REFERENCES ${BUS_SCHEMA}.queues (name),
  routing_key text NOT NULL,
  PRIMARY KEY (exchange, queue, routing_key)
);
CREATE TABLE IF NOT EXISTS ${BUS_SCHEMA}.messages (
  seq bigserial PRIMARY KEY,
  queue text NOT NULL,
  message_id text,
  trace_id text,
  body text NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}',
  visible_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  lease_token uuid,
  deliveries integer NOT NULL DEFAULT 0,
  enqueued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS messages_by_queue ON ${BUS_SCHEMA}.messages (queue, visible_at, seq);
`;

/** Creates the tables if missing; an advisory lock keeps concurrent first starts from racing. */
export async function ensureBusSchema(sql: BusSql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('simpul_bus.schema'))`;
    await tx.unsafe(DDL);
  });
}
