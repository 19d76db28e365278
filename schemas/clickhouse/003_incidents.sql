-- Incidents (written by the on-call process's incident sink from the committed
-- <prefix>incidents topic). Types known to 18.16 and current releases only: no Map, no
-- DateTime64, no JSON type — group labels as parallel key/value arrays, member alerts as a
-- JSON array string (the IncidentAlert records of schemas/records.ts).

-- Every incident transition: the timeline. A re-delivered event has the same
-- (incident_id, version) sort key and ReplacingMergeTree folds it away.
CREATE TABLE IF NOT EXISTS {db}.incident_events (
    event_id String,
    incident_id String,
    group_key String,
    group_label_keys Array(String),
    group_label_values Array(String),
    status String,
    severity String,
    version UInt32,
    timestamp DateTime,
    timestamp_ms UInt64,
    opened_at DateTime,
    opened_at_ms UInt64,
    title String,
    alert_ids Array(String),
    alerts_json String,
    cause_id String,
    cause_alert_id String,
    actor String,
    reason String,
    comment String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (incident_id, version);

-- Latest state per incident (ReplacingMergeTree by version; read with FINAL or argMax).
-- Filled by the view below; a re-inserted event carries the same version, so the view
-- firing twice changes nothing.
CREATE TABLE IF NOT EXISTS {db}.incidents (
    incident_id String,
    group_key String,
    group_label_keys Array(String),
    group_label_values Array(String),
    status String,
    severity String,
    version UInt32,
    updated_at DateTime,
    updated_at_ms UInt64,
    opened_at DateTime,
    opened_at_ms UInt64,
    title String,
    alert_ids Array(String),
    alerts_json String,
    actor String,
    reason String,
    comment String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY incident_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.incidents_latest_mv TO {db}.incidents AS
SELECT
    incident_id,
    group_key,
    group_label_keys,
    group_label_values,
    status,
    severity,
    version,
    timestamp AS updated_at,
    timestamp_ms AS updated_at_ms,
    opened_at,
    opened_at_ms,
    title,
    alert_ids,
    alerts_json,
    actor,
    reason,
    comment
FROM {db}.incident_events;
