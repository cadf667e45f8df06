-- metadata is "echoed back untouched" (CONTRACT.md section 1) and options are passed through; jsonb would reorder
-- their keys and drop duplicates. json keeps the text as the service wrote it. The lifecycle payload embeds the
-- generation, so it keeps its text too. None of these columns is queried inside, so nothing needs jsonb.
ALTER TABLE generations ALTER COLUMN options DROP DEFAULT;
ALTER TABLE generations ALTER COLUMN metadata DROP DEFAULT;
ALTER TABLE generations ALTER COLUMN options TYPE json USING options::json;
ALTER TABLE generations ALTER COLUMN metadata TYPE json USING metadata::json;
ALTER TABLE generations ALTER COLUMN options SET DEFAULT '{}';
ALTER TABLE generations ALTER COLUMN metadata SET DEFAULT '{}';
ALTER TABLE lifecycle_events ALTER COLUMN payload TYPE json USING payload::json;
