export function anomalyScoreOf(message: unknown): number | null;
export function describeAlertValue(
  alert: { kind?: string; metric?: string; severity?: string; status?: string; value?: number; threshold?: number; message?: string },
  unitOf?: (metric: string | undefined) => string | undefined,
): { text: string; title: string };
