/** Markdown tables of a corpus summary (what bench/corpus-report.ts prints and docs/detection.md quotes). */
import { ANOMALY_TYPES } from '../../schemas/records.ts';
import type { CorpusSummary } from './evaluate.ts';

const pct = (part: number, whole: number): string => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`);

/** The three headline figures, against the targets. */
export function headline(s: CorpusSummary): { detected: number; typedRight: number; normalFalse: number } {
  return {
    detected: s.injected ? s.detected / s.injected : 0,
    typedRight: s.detected ? s.typedRight / s.detected : 0,
    normalFalse: s.normal ? s.normalWithFalse / s.normal : 0,
  };
}

export function headlineLine(seed: number, s: CorpusSummary): string {
  const h = headline(s);
  const ok = (pass: boolean) => (pass ? 'meets' : 'misses');
  return (
    `seed ${seed}: detected ${pct(s.detected, s.injected)} (${s.detected}/${s.injected}; target ≥ 90 %, ${ok(h.detected >= 0.9)}), ` +
    `typed right ${pct(s.typedRight, s.detected)} (${s.typedRight}/${s.detected}; ≥ 90 %, ${ok(h.typedRight >= 0.9)}), ` +
    `normal series with a false report ${pct(s.normalWithFalse, s.normal)} (${s.normalWithFalse}/${s.normal}; ≤ 5 %, ${ok(h.normalFalse <= 0.05)})`
  );
}

export function confusionTable(s: CorpusSummary): string {
  const head = `| injected \\ reported | ${ANOMALY_TYPES.join(' | ')} | missed | detected | typed right | median delay (rows) |`;
  const rule = `| --- | ${ANOMALY_TYPES.map(() => '---').join(' | ')} | --- | --- | --- | --- |`;
  const rows = ANOMALY_TYPES.map((t) => {
    const r = s.byType[t];
    return `| ${t} | ${ANOMALY_TYPES.map((c) => r.confusion[c]).join(' | ')} | ${r.confusion.missed} | ${pct(r.detected, r.injected)} | ${pct(r.typedRight, r.detected)} | ${r.medianDelayRows ?? '–'} |`;
  });
  const normal = `| normal (false episodes) | ${ANOMALY_TYPES.map((c) => s.normalFalseByType[c]).join(' | ')} | – | – | – | – |`;
  return [head, rule, ...rows, normal].join('\n');
}

/** Per baseline feature: anomalies detected / typed right, normal series with a false report. */
export function featureTable(s: CorpusSummary): string {
  const lines = ['| series with feature | anomalous | detected | typed right | normal | with a false report |', '| --- | --- | --- | --- | --- | --- |'];
  for (const [feature, a] of Object.entries(s.anomalousByFeature)) {
    const n = s.normalByFeature[feature as keyof CorpusSummary['normalByFeature']];
    if (a.series + n.series === 0) continue;
    lines.push(`| ${feature} | ${a.series} | ${pct(a.detected, a.series)} | ${pct(a.typedRight, a.detected)} | ${n.series} | ${pct(n.withFalse, n.series)} |`);
  }
  lines.push(`| all | ${s.injected} | ${pct(s.detected, s.injected)} | ${pct(s.typedRight, s.detected)} | ${s.normal} | ${pct(s.normalWithFalse, s.normal)} |`);
  return lines.join('\n');
}

/** One row per seed and the worst seed: the figures a change must improve at every seed. */
export function seedsTable(bySeed: Array<[seed: number, summary: CorpusSummary]>): string {
  const lines = ['| seed | detected in time | typed right | normal series with a false report |', '| --- | --- | --- | --- |'];
  for (const [seed, s] of bySeed) lines.push(`| ${seed} | ${pct(s.detected, s.injected)} | ${pct(s.typedRight, s.detected)} | ${pct(s.normalWithFalse, s.normal)} |`);
  if (bySeed.length > 1) {
    const h = bySeed.map(([, s]) => headline(s));
    const worst = (xs: number[], f: (...v: number[]) => number) => `${(100 * f(...xs)).toFixed(1)} %`;
    lines.push(`| worst | ${worst(h.map((x) => x.detected), Math.min)} | ${worst(h.map((x) => x.typedRight), Math.min)} | ${worst(h.map((x) => x.normalFalse), Math.max)} |`);
  }
  lines.push('| target | ≥ 90 % | ≥ 90 % | ≤ 5 % |');
  return lines.join('\n');
}
