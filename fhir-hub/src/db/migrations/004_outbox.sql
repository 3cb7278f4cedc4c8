-- Transactional outbox: rows are inserted in the same transaction as the resource write they
-- announce, and a relay publishes them to RabbitMQ (with confirms) and marks them sent.
-- seq gives the publish order; id is the envelope id (the consumers' idempotency key).
CREATE TABLE outbox (
  seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           uuid        NOT NULL UNIQUE,
  exchange     text        NOT NULL,
  routing_key  text        NOT NULL,
  envelope     text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at      timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
