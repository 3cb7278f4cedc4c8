-- Current version of every resource, one row per (type, id). Deleted resources keep their row
-- (deleted = true) so a read answers 410 Gone and the id is never reused silently.
CREATE TABLE resource (
  rid           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    text        NOT NULL,
  version_seq   integer     NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  content       text        NOT NULL,
  PRIMARY KEY (resource_type, id)
);
CREATE INDEX resource_type_updated_idx ON resource (resource_type, last_updated, id) WHERE NOT deleted;
CREATE INDEX resource_updated_idx ON resource (last_updated);

-- Every version ever written, including deletions (content is the last version's JSON then).
CREATE TABLE resource_history (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    text        NOT NULL,
  version_seq   integer     NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  content       text        NOT NULL,
  PRIMARY KEY (resource_type, id, version_seq)
);
CREATE UNIQUE INDEX resource_history_version_idx ON resource_history (resource_type, id, version_id);
CREATE INDEX resource_history_type_updated_idx ON resource_history (resource_type, last_updated);
CREATE INDEX resource_history_updated_idx ON resource_history (last_updated);

-- Binary payloads live in the blob store; this row points at them.
CREATE TABLE binary_blob (
  id           text        PRIMARY KEY,
  version_id   text        NOT NULL,
  content_type text        NOT NULL,
  size         bigint      NOT NULL,
  sha256       text        NOT NULL,
  blob_path    text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
