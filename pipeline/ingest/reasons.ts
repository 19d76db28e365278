/**
 * Why a record went to vigil.metrics.dlq. The codes are stable: they travel in the
 * `vigil-dlq-reason` header, label counters and are matched by operators' tooling.
 * Add codes, never rename them.
 */
export const DLQ_REASONS = {
  tombstone: 'the value is null (a tombstone); metrics are never deleted by key',
  'missing-key': 'the key is null or empty; the key must be the series id <source>/<metric>',
  'bad-framing': 'empty value, or neither single-object (C3 01 + fingerprint) nor Confluent (00 + id) framing',
  'unknown-schema': 'the fingerprint or Confluent id names no registered schema',
  'incompatible-schema': 'the writer schema is registered but cannot be read as the current MetricPoint',
  'decode-error': 'the Avro body is truncated, has trailing bytes, or is malformed (bad lengths, counts, UTF-8, union index)',
  'key-mismatch': 'the key is not <source>/<metric> of the decoded point',
  'invalid-source': "source is empty, longer than 256 UTF-8 bytes, contains '/', a control character or a lone surrogate",
  'invalid-metric': 'metric is empty, longer than 256 UTF-8 bytes, contains a control character or a lone surrogate',
  'invalid-value': 'value is NaN or ±Infinity (or, in JSON, not a number)',
  'invalid-timestamp': 'timestamp is not an integer, is before 2000-01-01T00:00:00Z or more than maxFutureSkewMs ahead',
  'oversize-tags': 'more tags than maxTagCount, or more than maxTagBytes of UTF-8 in keys plus values',
  'invalid-tags': 'a tag key is empty, reserved (__proto__, constructor, prototype) or has a control character, or a tag value is not a string; or a key or value has a lone surrogate',
} as const;

export type DlqReason = keyof typeof DLQ_REASONS;
export const DLQ_REASON_CODES = Object.keys(DLQ_REASONS) as DlqReason[];
