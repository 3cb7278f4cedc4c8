-- Search index: one row per value per search parameter, computed from the SearchParameter
-- definitions (FHIRPath) by fhir-hub/src/search/. Every table carries the resource row id (rid),
-- its type and the search parameter code; a write replaces all rows of one rid.
-- Text that sits in a btree key is capped at 512 characters by the writer (btree rows max ~2.7 kB);
-- the uncapped original is kept where an exact comparison needs it (sp_string.value_raw).
-- Normalised text columns use the "C" collation so a prefix search is a plain range scan:
-- value >= 'abc' AND value < 'abd', which any btree on the column serves with bound parameters.

-- token: Coding, CodeableConcept, Identifier, ContactPoint, code, boolean, id, uri-as-token.
-- A row has system/value, or only text_norm (CodeableConcept.text, Coding.display, Identifier.type.text)
-- for the :text modifier. Reference.identifier is indexed here under the code '<param>:identifier'.
CREATE TABLE sp_token (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  system        text,
  value         text,
  text_norm     text COLLATE "C"
);
CREATE INDEX sp_token_value_idx ON sp_token (resource_type, code, value, system);
CREATE INDEX sp_token_rid_idx ON sp_token (rid);

-- string: value_norm is lower-cased with accents removed (NFD, combining marks stripped).
CREATE TABLE sp_string (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  value_norm    text COLLATE "C" NOT NULL,
  value_raw     text   NOT NULL
);
CREATE INDEX sp_string_value_idx ON sp_string (resource_type, code, value_norm);
CREATE INDEX sp_string_rid_idx ON sp_string (rid);

-- date: every value is a closed instant range; a partial date covers its whole year/month/day,
-- an open Period end is 'infinity'.
CREATE TABLE sp_date (
  rid           bigint      NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text        NOT NULL,
  code          text        NOT NULL,
  low           timestamptz NOT NULL,
  high          timestamptz NOT NULL
);
CREATE INDEX sp_date_low_idx ON sp_date (resource_type, code, low);
CREATE INDEX sp_date_high_idx ON sp_date (resource_type, code, high);
CREATE INDEX sp_date_rid_idx ON sp_date (rid);

-- number: a decimal is low = high; a Range keeps its bounds ('-Infinity'/'Infinity' when open).
CREATE TABLE sp_number (
  rid           bigint  NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text    NOT NULL,
  code          text    NOT NULL,
  low           numeric NOT NULL,
  high          numeric NOT NULL
);
CREATE INDEX sp_number_low_idx ON sp_number (resource_type, code, low);
CREATE INDEX sp_number_rid_idx ON sp_number (rid);

-- quantity: unit_code is Quantity.code (the column "code" is the search parameter code).
CREATE TABLE sp_quantity (
  rid           bigint  NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text    NOT NULL,
  code          text    NOT NULL,
  value         numeric NOT NULL,
  system        text,
  unit_code     text,
  unit          text
);
CREATE INDEX sp_quantity_value_idx ON sp_quantity (resource_type, code, value);
CREATE INDEX sp_quantity_rid_idx ON sp_quantity (rid);

-- reference: a literal reference 'Patient/123' is split into target_type/target_id; an absolute URL,
-- a canonical, a urn:uuid or a '#contained' reference is kept whole in target_url. An identifier-only
-- reference gets a row with both empty (so :missing sees it) plus its token row in sp_token.
-- The reference index leads with the target id so reverse lookups (_revinclude, _has, "who points
-- at Patient/123") can use it with or without the source type.
CREATE TABLE sp_reference (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  target_type   text,
  target_id     text,
  target_url    text
);
CREATE INDEX sp_reference_target_idx ON sp_reference (code, target_id, target_type);
CREATE INDEX sp_reference_url_idx ON sp_reference (code, target_url) WHERE target_url IS NOT NULL;
CREATE INDEX sp_reference_rid_idx ON sp_reference (rid);

-- uri: exact string (canonical URLs, meta.source, meta.profile, ...).
CREATE TABLE sp_uri (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  value         text COLLATE "C" NOT NULL
);
CREATE INDEX sp_uri_value_idx ON sp_uri (resource_type, code, value);
CREATE INDEX sp_uri_rid_idx ON sp_uri (rid);
