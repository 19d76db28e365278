/**
 * A strict reader of the Prometheus text exposition format, for tests: what a scraper would
 * see, sample by sample. Throws on a line it does not understand, so a malformed exposition
 * fails the test instead of being skipped.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let l = LABEL.exec(m[2]); l; l = LABEL.exec(m[2])) {
        labels[l[1]] = unescape(l[2]);
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`bad label set in ${JSON.stringify(line)}`);
    }
    // Prometheus parses values with Go's ParseFloat: Inf and NaN in any letter case (prom-client writes "Nan").
    const lower = m[3].toLowerCase();
    const value = lower === '+inf' || lower === 'inf' ? Infinity : lower === '-inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && lower !== 'nan') throw new Error(`bad value in ${JSON.stringify(line)}`);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/** The value of the one sample with this name and exactly these labels (undefined if absent). */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
  if (found.length > 1) throw new Error(`${name}${want} appears ${found.length} times`);
  return found[0]?.value;
}

/** name → label value → sample value, for one-label metrics. */
export function byLabel(samples: Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.name === name && s.labels[label] !== undefined) out[s.labels[label]] = s.value;
  return out;
}
