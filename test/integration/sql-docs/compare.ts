/** Comparing query answers: the documented queries' checks and the cluster's same-answer test. */

/** 64-bit integers arrive as strings; floats are compared with a relative tolerance. */
export function differences(actual: unknown, want: unknown, at: string): string[] {
  if (typeof want === 'number') {
    const got = typeof actual === 'string' && /^-?\d+$/.test(actual) ? Number(actual) : actual;
    if (typeof got !== 'number') return [`${at}: want ${want}, got ${JSON.stringify(actual)}`];
    const tolerance = 1e-9 * Math.max(Math.abs(got), Math.abs(want)) + 1e-15;
    return Math.abs(got - want) <= tolerance ? [] : [`${at}: want ${want}, got ${got}`];
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(actual) || actual.length !== want.length) return [`${at}: want ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`];
    return want.flatMap((w, i) => differences(actual[i], w, `${at}[${i}]`));
  }
  return actual === want ? [] : [`${at}: want ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`];
}
