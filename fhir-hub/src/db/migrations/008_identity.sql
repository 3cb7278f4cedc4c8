-- Patient identity: normalised features, blocking keys, merges, review pairs and the identity work queue.

-- One row per live Patient the matcher knows: features as compared (JSON), and its golden record.
CREATE TABLE identity_patient (
  patient_id text PRIMARY KEY,
  features jsonb NOT NULL,
  -- The golden Patient this record is linked to (Patient.link refer); NULL: it is its own golden record.
  golden_id text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_patient_golden_idx ON identity_patient (golden_id) WHERE golden_id IS NOT NULL;

-- Blocking keys: candidate search reads (key → patient ids) from this index alone.
CREATE TABLE identity_block (
  block_key text NOT NULL,
  patient_id text NOT NULL,
  PRIMARY KEY (block_key, patient_id)
);
CREATE INDEX identity_block_patient_idx ON identity_block (patient_id);

-- Every merge (Patient.link replaced-by), whoever wrote it: $merge, a review decision, an HL7 A40.
-- The contents before the merge make unmerge possible; an active merge expands reference searches.
CREATE TABLE identity_merge (
  id bigserial PRIMARY KEY,
  source_id text NOT NULL,
  target_id text NOT NULL,
  source_before jsonb,
  target_before jsonb,
  origin text NOT NULL,
  merged_at timestamptz NOT NULL DEFAULT now(),
  unmerged_at timestamptz
);
CREATE UNIQUE INDEX identity_merge_active_source_idx ON identity_merge (source_id) WHERE unmerged_at IS NULL;
CREATE INDEX identity_merge_active_target_idx ON identity_merge (target_id) WHERE unmerged_at IS NULL;

-- What is known about a pair of Patients (a < b): under review (with its Task), or decided distinct.
CREATE TABLE identity_pair (
  a text NOT NULL,
  b text NOT NULL,
  status text NOT NULL CHECK (status IN ('review', 'distinct')),
  task_id text,
  score real,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (a, b),
  CHECK (a < b)
);

-- Work written in the same transaction as the Patient/Task write that caused it (the outbox pattern):
-- match a patient, apply a review decision, write the AuditEvent of a merge/unmerge/link.
CREATE TABLE identity_job (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('match', 'decision', 'audit')),
  ref text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now()
);
