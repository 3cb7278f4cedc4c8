-- The "unmapped codes" report: codes the ingest mappers met and could not translate, counted
-- across every worker and restart. One row per (system, code, target system); target_system is ''
-- when the mapper did not name one. The ingest worker reports batches (counts are added); the
-- integration engineer reads it most frequent first, fixes the ConceptMap and replays the example.
CREATE TABLE unmapped_code (
  system             text        NOT NULL,
  code               text        NOT NULL,
  target_system      text        NOT NULL DEFAULT '',
  display            text,
  count              bigint      NOT NULL CHECK (count > 0),
  first_seen         timestamptz NOT NULL,
  last_seen          timestamptz NOT NULL,
  example_message_id text,
  PRIMARY KEY (system, code, target_system)
);
CREATE INDEX unmapped_code_count_idx ON unmapped_code (count DESC, last_seen DESC);
