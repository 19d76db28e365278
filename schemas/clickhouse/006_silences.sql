-- Silences and maintenance windows (oncall/silences/). The compacted <prefix>silences topic is
-- what every process acts on; this table keeps their history for SQL (which silence covered
-- which alert, who made it, for how long). One row per version; the newest wins on merge, so
-- re-inserting a version already stored (a restarted archiver) changes nothing.
-- Types known to 18.16 and current releases: no DateTime64, Map or TTL; matchers and the
-- schedule are JSON text. Millisecond times are UInt64 `*_ms` beside a DateTime (seconds, UTC).
-- Checked on 18.16 (the integration tests) and on 26.9 (chDB: create, insert two versions, FINAL).
CREATE TABLE IF NOT EXISTS {db}.silences (
    id String,
    version UInt32,
    matchers String,
    starts_at DateTime,
    starts_at_ms UInt64,
    ends_at DateTime,
    ends_at_ms UInt64,
    created_by String,
    comment String,
    schedule String,
    updated_at DateTime,
    updated_at_ms UInt64,
    updated_by String
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;
