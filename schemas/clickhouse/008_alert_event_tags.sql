-- The series' tags on every alert transition (AlertEvent v2 `tags`: the tags of the latest point
-- when the alert opened, the same for all of its events). Stored as the points table stores
-- them: two Array(String) columns, keys sorted, values in key order (18.16 has no Map type).
-- Rows written before this migration read as no tags. One ALTER with both columns, so it
-- applies whole or not at all; 18.16 has no ADD COLUMN IF NOT EXISTS, so migrate.ts treats
-- "column already exists" on an ADD COLUMN statement as applied (a re-run after a crash
-- between this statement and its schema_migrations row).
ALTER TABLE {db}.alert_events
    ADD COLUMN tag_keys Array(String),
    ADD COLUMN tag_values Array(String);
