/**
 * Polls `fn` until it returns a value other than undefined/null/false (and does not throw),
 * then returns that value. On timeout rejects with the last error or the last value seen.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs: number,
  options: { intervalMs?: number; message?: string } = {},
): Promise<Exclude<T, undefined | null | false>> {
  const interval = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
      lastValue = value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.message ?? 'condition';
      const detail = lastError instanceof Error ? lastError.message : `last value ${JSON.stringify(lastValue)}`;
      throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms (${detail})`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
