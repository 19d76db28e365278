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

export function normalTable(s: CorpusSummary): string {
  const lines = ['| normal series with feature | series | with a false report |', '| --- | --- | --- |'];
  for (const [feature, { series, withFalse }] of Object.entries(s.normalByFeature)) {
    if (series > 0) lines.push(`| ${feature} | ${series} | ${withFalse} (${pct(withFalse, series)}) |`);
  }
  lines.push(`| all | ${s.normal} | ${s.normalWithFalse} (${pct(s.normalWithFalse, s.normal)}) |`);
  return lines.join('\n');
}
