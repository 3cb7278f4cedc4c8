-- Transactional outbox: rows are inserted in the same transaction as the resource write they
-- announce, and a relay publishes them to RabbitMQ (with confirms) and marks them sent.
-- seq gives the publish order; id names the row (the envelope inside carries its own id, the
-- consumers' idempotency key, which a replay reuses).
CREATE TABLE outbox (
  seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           uuid        NOT NULL UNIQUE,
  exchange     text        NOT NULL,
  routing_key  text        NOT NULL,
  envelope     text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at      timestamptz,
  -- A delivery no queue was bound for (its consumer has never started): set aside instead of
  -- blocking everything behind it, and offered again after a while.
  parked_at    timestamptz,
  park_reason  text
);
CREATE INDEX outbox_unsent_idx ON outbox (seq) WHERE sent_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_parked_idx ON outbox (parked_at) WHERE parked_at IS NOT NULL AND sent_at IS NULL;
CREATE INDEX outbox_sent_at_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
