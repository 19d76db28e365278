/**
 * Produce errors that no retry can cure: the broker refuses the records themselves (too large,
 * malformed), so sending the same bytes again fails the same way forever. Everything else
 * (broker down, leader moving, timeouts) is transient and is retried.
 */

/** kafkajs protocol error types meaning "these records will never be accepted as they are". */
export const UNPRODUCIBLE_TYPES: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'UNSUPPORTED_COMPRESSION_TYPE',
]);

/** `err` or the first of its causes (kafkajs wraps them) whose protocol error type is one of `types`, if any. */
export function findKafkaError(err: unknown, types: ReadonlySet<string>): (Error & { type: string }) | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (types.has(String((e as { type?: unknown }).type))) return e as Error & { type: string };
  }
  return undefined;
}

/** The protocol error type of `err` or of one of its causes, if any of `types`. */
export function kafkaErrorType(err: unknown, types: ReadonlySet<string>): string | undefined {
  return findKafkaError(err, types)?.type;
}

export function isUnproducible(err: unknown): boolean {
  return kafkaErrorType(err, UNPRODUCIBLE_TYPES) !== undefined;
}
