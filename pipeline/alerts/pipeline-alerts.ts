/**
 * Alerts about the pipeline itself, on the same alerts topic and table as alerts about metrics,
 * so operators see, route and acknowledge them the same way. The API's /health reads the open
 * ones, so these names are a contract between pipeline and API.
 */
export const PIPELINE_ALERT_SOURCE = 'vigil';
export const STALL_ALERT_METRIC = 'pipeline.partition_stalled';

/** One stall alert per consumer group, topic and partition. */
export const stallRuleId = (groupId: string, topic: string, partition: number) => `${stallRulePrefix(groupId)}${topic}:${partition}`;
export const stallRulePrefix = (groupId: string) => `partition-stalled:${groupId}:`;

/** Raised while a partition refuses points of new series for its series limit (pipeline.maxSeries). */
export const SERIES_LIMIT_ALERT_METRIC = 'pipeline.series_limit';
export const seriesLimitRuleId = (groupId: string, topic: string, partition: number) => `series-limit:${groupId}:${topic}:${partition}`;
