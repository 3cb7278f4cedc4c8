-- The message store: every inbound message (HL7 v2, DICOM, SQL row, webhook) with its raw payload,
-- what it became, and where it stands: received -> mapped -> stored, or error with the reason.
-- id is the bus envelope id, so the ingest worker's writes here are idempotent.
CREATE TABLE message (
  id              uuid        PRIMARY KEY,
  kind            text        NOT NULL,
  source          text        NOT NULL,
  message_type    text,
  control_id      text,
  content_type    text        NOT NULL,
  raw             text        NOT NULL,
  received_at     timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  status          text        NOT NULL CHECK (status IN ('received', 'mapped', 'stored', 'error')),
  error           text,
  trace_id        text,
  attempts        integer     NOT NULL DEFAULT 0,
  patient_ids     text[]      NOT NULL DEFAULT '{}',
  resources       text[]      NOT NULL DEFAULT '{}',
  search_text     tsvector GENERATED ALWAYS AS (to_tsvector('simple', left(raw, 100000) || ' ' || coalesce(error, ''))) STORED
);
CREATE INDEX message_received_idx ON message (received_at DESC);
CREATE INDEX message_status_idx ON message (status, received_at DESC);
CREATE INDEX message_source_idx ON message (source, received_at DESC);
CREATE INDEX message_type_idx ON message (message_type, received_at DESC);
CREATE INDEX message_control_idx ON message (source, control_id);
CREATE INDEX message_patient_idx ON message USING gin (patient_ids);
CREATE INDEX message_text_idx ON message USING gin (search_text);
