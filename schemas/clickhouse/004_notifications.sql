-- Notification log: one row per notification (an incident through one route to one receiver,
-- at one moment), rewritten as its attempts progress; the latest state is the row with the
-- highest version (ReplacingMergeTree, read with FINAL or argMax). The notifier reloads it on
-- start to know what was already delivered, so a restart does not send it again.
-- result: pending (about to be attempted) | failed (an attempt failed, retrying) | sent |
-- dead (last retry failed, or the receiver refused: the dead-letter record, payload kept) |
-- suppressed (nothing routed) | silenced (a silence matched; not sent).
-- Types and engine known to ClickHouse 18.16 and current releases; times are UInt64 ms.
CREATE TABLE IF NOT EXISTS {db}.notifications (
    notification_id String,
    group_id String,
    incident_id String,
    incident_event_id String,
    incident_version UInt32,
    group_key String,
    route_id String,
    receiver String,
    receiver_type String,
    kind String,
    result String,
    attempts UInt16,
    content_key String,
    severity String,
    incident_status String,
    http_status UInt16,
    error String,
    silence_ids Array(String),
    payload String,
    created_at DateTime,
    created_at_ms UInt64,
    updated_at_ms UInt64,
    version UInt32
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY notification_id;
