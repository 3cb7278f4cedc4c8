import { randomUUID } from 'node:crypto';
import type { Envelope } from '@simpul/infra';
import type { Queryable } from '../db/connect.ts';

/** The channel the relay LISTENs on; NOTIFY is delivered at commit, so it never wakes the relay early. */
export const OUTBOX_CHANNEL = 'simpul_outbox';

export interface OutboxMessage {
  exchange: string;
  routingKey: string;
  envelope: Envelope;
}

/** Inserts messages into the outbox in the caller's transaction: one statement however many rows. */
export async function enqueueOutbox(db: Queryable, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db.unsafe(
    `WITH ins AS (
       INSERT INTO outbox (id, exchange, routing_key, envelope)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
     )
     SELECT pg_notify('${OUTBOX_CHANNEL}', '')`,
    [
      // The row's own id: a replay publishes the same envelope (same id) again in a new row.
      messages.map(() => randomUUID()),
      messages.map((m) => m.exchange),
      messages.map((m) => m.routingKey),
      messages.map((m) => JSON.stringify(m.envelope)),
    ] as never[],
    { prepare: true },
  );
}
