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

/** The protocol error type of `err` or of one of its causes (kafkajs wraps them), if any. */
export function kafkaErrorType(err: unknown, types: ReadonlySet<string>): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const type = String((e as { type?: unknown }).type);
    if (types.has(type)) return type;
  }
  return undefined;
}

export function isUnproducible(err: unknown): boolean {
  return kafkaErrorType(err, UNPRODUCIBLE_TYPES) !== undefined;
}
