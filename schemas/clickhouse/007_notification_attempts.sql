-- Every delivery attempt of a notification, append-only: `notifications` keeps only the latest
-- state once ReplacingMergeTree merges, this keeps the history (what each attempt got back).
-- A re-inserted attempt (a retried insert) has the same key and is folded away.
-- Types and engine known to ClickHouse 18.16 and current releases; times are UInt64 ms.
CREATE TABLE IF NOT EXISTS {db}.notification_attempts (
    notification_id String,
    attempt UInt16,
    receiver String,
    result String,
    http_status UInt16,
    error String,
    at DateTime,
    at_ms UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (notification_id, attempt);
