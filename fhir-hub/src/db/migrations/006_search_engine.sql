-- The full search engine (issue 3): composite parameters, positions for Location.near, UCUM-canonical
-- quantities, and indexes shaped for keyset paging and index-only lookups at a million resources.
-- See fhir-hub/src/search/README.md.

-- Composite parameters (code-value-quantity, ...) store each component as an ordinary index row under
-- the code '<composite>#<component number>'; grp numbers the element the components came from, so
-- only components of the same element (the same Observation.component, say) combine.
ALTER TABLE sp_token ADD COLUMN grp smallint;
ALTER TABLE sp_string ADD COLUMN grp smallint;
ALTER TABLE sp_date ADD COLUMN grp smallint;
ALTER TABLE sp_number ADD COLUMN grp smallint;
ALTER TABLE sp_quantity ADD COLUMN grp smallint;
ALTER TABLE sp_reference ADD COLUMN grp smallint;
ALTER TABLE sp_uri ADD COLUMN grp smallint;

-- Sort flags: sort_min marks the row holding the smallest sort value of its (rid, code), sort_max
-- the largest (dates: smallest low, largest high). A sort joins exactly that row, so it can walk the
-- value index in order without asking, row by row, whether a better row exists.
ALTER TABLE sp_token ADD COLUMN sort_min boolean, ADD COLUMN sort_max boolean;
ALTER TABLE sp_string ADD COLUMN sort_min boolean, ADD COLUMN sort_max boolean;
ALTER TABLE sp_date ADD COLUMN sort_min boolean, ADD COLUMN sort_max boolean;
ALTER TABLE sp_number ADD COLUMN sort_min boolean, ADD COLUMN sort_max boolean;
ALTER TABLE sp_quantity ADD COLUMN sort_min boolean, ADD COLUMN sort_max boolean;
ALTER TABLE sp_uri ADD COLUMN sort_min boolean, ADD COLUMN sort_max boolean;
UPDATE sp_token t SET sort_min = f.mn, sort_max = f.mx FROM (
  SELECT ctid AS c, row_number() OVER (PARTITION BY rid, code ORDER BY value NULLS LAST, ctid) = 1 AND value IS NOT NULL AS mn,
    row_number() OVER (PARTITION BY rid, code ORDER BY value DESC NULLS LAST, ctid) = 1 AND value IS NOT NULL AS mx FROM sp_token) f
  WHERE t.ctid = f.c;
UPDATE sp_string t SET sort_min = f.mn, sort_max = f.mx FROM (
  SELECT ctid AS c, row_number() OVER (PARTITION BY rid, code ORDER BY value_norm, ctid) = 1 AS mn,
    row_number() OVER (PARTITION BY rid, code ORDER BY value_norm DESC, ctid) = 1 AS mx FROM sp_string) f
  WHERE t.ctid = f.c;
UPDATE sp_date t SET sort_min = f.mn, sort_max = f.mx FROM (
  SELECT ctid AS c, row_number() OVER (PARTITION BY rid, code ORDER BY low, ctid) = 1 AS mn,
    row_number() OVER (PARTITION BY rid, code ORDER BY high DESC, ctid) = 1 AS mx FROM sp_date) f
  WHERE t.ctid = f.c;
UPDATE sp_number t SET sort_min = f.mn, sort_max = f.mx FROM (
  SELECT ctid AS c, row_number() OVER (PARTITION BY rid, code ORDER BY low, ctid) = 1 AS mn,
    row_number() OVER (PARTITION BY rid, code ORDER BY high DESC, ctid) = 1 AS mx FROM sp_number) f
  WHERE t.ctid = f.c;
UPDATE sp_quantity t SET sort_min = f.mn, sort_max = f.mx FROM (
  SELECT ctid AS c, row_number() OVER (PARTITION BY rid, code ORDER BY value, ctid) = 1 AS mn,
    row_number() OVER (PARTITION BY rid, code ORDER BY value DESC, ctid) = 1 AS mx FROM sp_quantity) f
  WHERE t.ctid = f.c;
UPDATE sp_uri t SET sort_min = f.mn, sort_max = f.mx FROM (
  SELECT ctid AS c, row_number() OVER (PARTITION BY rid, code ORDER BY value, ctid) = 1 AS mn,
    row_number() OVER (PARTITION BY rid, code ORDER BY value DESC, ctid) = 1 AS mx FROM sp_uri) f
  WHERE t.ctid = f.c;

-- A UCUM quantity also in canonical units (base units, prefixes resolved): 5 mg/dL is
-- 0.05 g.L-1 ... expressed as canonical_value + canonical_unit, so 50 mg/L compares equal.
ALTER TABLE sp_quantity ADD COLUMN canonical_value numeric;
ALTER TABLE sp_quantity ADD COLUMN canonical_unit text;
CREATE INDEX sp_quantity_canonical_idx ON sp_quantity (resource_type, code, canonical_unit, canonical_value)
  WHERE canonical_unit IS NOT NULL;

-- Location.position (special parameter near): degrees WGS84. No PostGIS here: a bounding box on
-- (lat, lng) narrows the rows, haversine in SQL gives the distance.
CREATE TABLE sp_position (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  lat           double precision NOT NULL,
  lng           double precision NOT NULL
);
CREATE INDEX sp_position_lat_idx ON sp_position (resource_type, code, lat, lng);
CREATE INDEX sp_position_rid_idx ON sp_position (rid);

-- Value indexes end in rid: a filter becomes an index-only scan that yields rids, and a sort on
-- the value pages by keyset (value, rid) straight from the index.
DROP INDEX sp_token_value_idx;
CREATE INDEX sp_token_value_idx ON sp_token (resource_type, code, value, system, rid) INCLUDE (sort_min, sort_max);
DROP INDEX sp_string_value_idx;
CREATE INDEX sp_string_value_idx ON sp_string (resource_type, code, value_norm, rid) INCLUDE (sort_min, sort_max);
DROP INDEX sp_date_low_idx;
DROP INDEX sp_date_high_idx;
CREATE INDEX sp_date_low_idx ON sp_date (resource_type, code, low, rid) INCLUDE (high, sort_min);
CREATE INDEX sp_date_high_idx ON sp_date (resource_type, code, high, rid) INCLUDE (low, sort_max);
DROP INDEX sp_number_low_idx;
CREATE INDEX sp_number_low_idx ON sp_number (resource_type, code, low, rid) INCLUDE (high, sort_min, sort_max);
DROP INDEX sp_quantity_value_idx;
CREATE INDEX sp_quantity_value_idx ON sp_quantity (resource_type, code, value, rid) INCLUDE (sort_min, sort_max);
DROP INDEX sp_uri_value_idx;
CREATE INDEX sp_uri_value_idx ON sp_uri (resource_type, code, value, rid) INCLUDE (sort_min, sort_max);
-- Reverse lookups (_revinclude, _has, chains) read rid from the index alone.
DROP INDEX sp_reference_target_idx;
CREATE INDEX sp_reference_target_idx ON sp_reference (code, target_id, target_type, resource_type) INCLUDE (rid);

-- Default order is insertion order (rid); keyset pages on (resource_type, rid) and on
-- (resource_type, last_updated, rid) for _sort=_lastUpdated. A page is found on rids first and its
-- JSON read afterwards, so the rid walk covers what filters read from the resource row (index-only).
CREATE INDEX resource_type_rid_idx ON resource (resource_type, rid) INCLUDE (id, last_updated) WHERE NOT deleted;
-- Probes by rid (and rid-order walks once an index filter has fixed the type) without the heap.
CREATE INDEX resource_live_rid_idx ON resource (rid) INCLUDE (resource_type, id, last_updated) WHERE NOT deleted;
-- Date filters are often probed per rid (a range that matches many rows, walked in rid order).
DROP INDEX sp_date_rid_idx;
CREATE INDEX sp_date_rid_idx ON sp_date (rid) INCLUDE (resource_type, code, low, high);
DROP INDEX resource_type_updated_idx;
CREATE INDEX resource_type_updated_idx ON resource (resource_type, last_updated, rid) WHERE NOT deleted;

-- The planner's row estimates for "code = X AND value = Y AND system = Z" multiply independent
-- selectivities and come out far too low for common codes; multi-column statistics (most common
-- combinations) keep it from preferring a full hash join over walking a sort index.
CREATE STATISTICS sp_token_value_stats (dependencies, mcv) ON resource_type, code, value, system FROM sp_token;
CREATE STATISTICS sp_string_code_stats (dependencies, mcv) ON resource_type, code FROM sp_string;
CREATE STATISTICS sp_date_code_stats (dependencies, mcv) ON resource_type, code FROM sp_date;
CREATE STATISTICS sp_number_code_stats (dependencies, mcv) ON resource_type, code FROM sp_number;
CREATE STATISTICS sp_quantity_code_stats (dependencies, mcv) ON resource_type, code, unit_code FROM sp_quantity;
CREATE STATISTICS sp_uri_code_stats (dependencies, mcv) ON resource_type, code FROM sp_uri;
CREATE STATISTICS sp_reference_code_stats (dependencies, mcv) ON resource_type, code, target_type FROM sp_reference;
