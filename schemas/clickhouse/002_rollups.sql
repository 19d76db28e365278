-- Per-minute and per-hour rollups of `points` as aggregate states, for historical SQL
-- (merge with countMerge / quantilesMerge / ...). The views fire on every insert into
-- `points`; the pipeline never inserts an offset twice, so the rollups count each point once.

CREATE TABLE IF NOT EXISTS {db}.points_1m (
    source String,
    metric String,
    minute DateTime,
    value_count AggregateFunction(count),
    value_sum AggregateFunction(sum, Float64),
    value_min AggregateFunction(min, Float64),
    value_max AggregateFunction(max, Float64),
    value_quantiles AggregateFunction(quantiles(0.5, 0.95, 0.99), Float64),
    anomaly_score_max AggregateFunction(max, Float64),
    anomalous_points AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (source, metric, minute);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.points_1m_mv TO {db}.points_1m AS
SELECT
    source,
    metric,
    toStartOfMinute(timestamp) AS minute,
    countState() AS value_count,
    sumState(value) AS value_sum,
    minState(value) AS value_min,
    maxState(value) AS value_max,
    quantilesState(0.5, 0.95, 0.99)(value) AS value_quantiles,
    maxState(anomaly_score) AS anomaly_score_max,
    sumState(toUInt64(anomaly_score >= 0.5)) AS anomalous_points
FROM {db}.points
GROUP BY source, metric, minute;

CREATE TABLE IF NOT EXISTS {db}.points_1h (
    source String,
    metric String,
    hour DateTime,
    value_count AggregateFunction(count),
    value_sum AggregateFunction(sum, Float64),
    value_min AggregateFunction(min, Float64),
    value_max AggregateFunction(max, Float64),
    value_quantiles AggregateFunction(quantiles(0.5, 0.95, 0.99), Float64),
    anomaly_score_max AggregateFunction(max, Float64),
    anomalous_points AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (source, metric, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.points_1h_mv TO {db}.points_1h AS
SELECT
    source,
    metric,
    toStartOfHour(timestamp) AS hour,
    countState() AS value_count,
    sumState(value) AS value_sum,
    minState(value) AS value_min,
    maxState(value) AS value_max,
    quantilesState(0.5, 0.95, 0.99)(value) AS value_quantiles,
    maxState(anomaly_score) AS anomaly_score_max,
    sumState(toUInt64(anomaly_score >= 0.5)) AS anomalous_points
FROM {db}.points
GROUP BY source, metric, hour;
