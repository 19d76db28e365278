-- Vigil core tables. Runs on ClickHouse 18.16 and current releases: only types both know
-- (no DateTime64, Map or TTL). Millisecond times are UInt64 `*_ms` columns beside a
-- DateTime (seconds, UTC) used for partitioning and time functions.
-- `{db}` is replaced by the configured database name by the migration runner.

-- Every scored point. A re-delivered Kafka record has the same (partition, offset) and the
-- same sort key, so ReplacingMergeTree folds it away; the pipeline also skips offsets it
-- already inserted so that the rollup views below never see a point twice.
CREATE TABLE IF NOT EXISTS {db}.points (
    source String,
    metric String,
    timestamp DateTime,
    timestamp_ms UInt64,
    value Float64,
    mean Float64,
    std Float64,
    zscore Float64,
    anomaly_score Float64,
    tag_keys Array(String),
    tag_values Array(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at DateTime
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (source, metric, timestamp_ms, kafka_partition, kafka_offset);

-- Latest version of each anomaly (a refinement replaces the earlier type; every version
-- also went to the vigil.anomalies topic).
CREATE TABLE IF NOT EXISTS {db}.anomalies (
    id String,
    source String,
    metric String,
    type String,
    version UInt32,
    start_timestamp DateTime,
    start_timestamp_ms UInt64,
    detected_timestamp DateTime,
    detected_timestamp_ms UInt64,
    value Float64,
    expected Float64,
    zscore Float64,
    score Float64,
    confidence Float64,
    point_count UInt32
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_timestamp)
ORDER BY (source, metric, id);

-- Every alert lifecycle transition; the latest state of an alert is argMax(..., version).
CREATE TABLE IF NOT EXISTS {db}.alert_events (
    event_id String,
    alert_id String,
    fingerprint String,
    source String,
    metric String,
    rule_id String,
    kind String,
    severity String,
    status String,
    version UInt32,
    timestamp DateTime,
    timestamp_ms UInt64,
    opened_at DateTime,
    opened_at_ms UInt64,
    value Float64,
    threshold Float64,
    message String,
    actor String,
    reason String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(opened_at)
ORDER BY (source, metric, alert_id, version);

CREATE TABLE IF NOT EXISTS {db}.sla_snapshots (
    id String,
    sla_id String,
    source String,
    metric String,
    timestamp DateTime,
    timestamp_ms UInt64,
    window_ms UInt64,
    objective Float64,
    compliance Float64,
    good UInt64,
    total UInt64,
    error_budget_remaining Float64,
    burn_rate_fast Float64,
    burn_rate_slow Float64,
    violated UInt8
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (sla_id, source, metric, timestamp_ms);

-- Changelog of per-series pipeline state (detector window bytes + alert/SLA monitor JSON),
-- written after the batch it reflects was committed. On partition assignment the newest
-- snapshot per series is loaded and the points after its offset are replayed from `points`.
CREATE TABLE IF NOT EXISTS {db}.series_state (
    kafka_partition UInt32,
    series_id String,
    kafka_offset UInt64,
    source String,
    metric String,
    window_state String,
    monitor_state String,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(kafka_offset)
ORDER BY (kafka_partition, series_id);
