/**
 * Silence matching: SilenceSet.activeSilencesFor(labels, now), the call the notifier makes per
 * notification and the API per open alert it returns, on one core.
 *
 *   npx tsx bench/silences.ts [--silences 1000] [--alerts 2000] [--rounds 5]
 *
 * Cases, in interleaved rounds of the same run (median reported):
 *  - equality only (ceiling): the same silences' matchers as plain `labels[name] === value`
 *    checks written inline — no regexes, no state check, no result array
 *  - activeSilencesFor: the real set (a quarter of the matchers regexes, a tenth of the
 *    silences maintenance windows, a fifth expired), compiled once when added
 *  - regex per call (peer): the same checks in the same order with each regex built at every
 *    call, what a matcher that is not compiled once costs
 * Seeded, no I/O, bounded by the counts.
 */
import { parseArgs } from 'node:util';
import { SilenceSet, alertLabels, inWindow, type Silence } from '../oncall/silences/index.ts';
import { SEVERITIES } from '../schemas/records.ts';

const { values: args } = parseArgs({ options: { silences: { type: 'string', default: '1000' }, alerts: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const S = Math.min(Math.max(1, Number(args.silences) || 1000), 100_000);
const A = Math.min(Math.max(1, Number(args.alerts) || 2000), 100_000);
const ROUNDS = Math.min(Math.max(1, Number(args.rounds) || 5), 20);

let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const sources = Array.from({ length: 200 }, (_, i) => `svc-${i}`);
const metrics = ['response_time', 'error_rate', 'throughput', 'cpu_usage', 'memory_usage', 'queue_size'];

const silences: Silence[] = Array.from({ length: S }, (_, i) => {
  const regex = rand() < 0.25;
  const matchers = [
    regex ? { name: 'source', op: '=~' as const, value: `svc-${Math.floor(rand() * 20)}[0-9]?` } : { name: 'source', op: '=' as const, value: pick(sources) },
    { name: 'metric', op: rand() < 0.5 ? ('=' as const) : ('!=' as const), value: pick(metrics) },
  ];
  const expired = rand() < 0.2;
  return {
    id: `s${i}`,
    matchers,
    startsAt: NOW - 3_600_000,
    endsAt: expired ? NOW - 1000 : NOW + 3_600_000,
    createdBy: 'bench',
    comment: 'bench',
    schedule: rand() < 0.1 ? { frequency: 'daily', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '11:00', end: '13:00', timeZone: 'UTC' } : null,
    version: 1,
    updatedAt: NOW - 3_600_000,
    updatedBy: 'bench',
  };
});
const set = new SilenceSet();
for (const s of silences) {
  const r = set.add(s);
  if (!r.ok) throw new Error(r.errors.join('; '));
}
const alerts = Array.from({ length: A }, () =>
  alertLabels({ source: pick(sources), metric: pick(metrics), severity: pick(SEVERITIES), ruleId: 'default.x', kind: 'threshold', tags: { region: 'eu-1' } }),
);

let sink = 0;
const cases: Array<[string, () => void]> = [
  [
    'equality only, inline (ceiling)',
    () => {
      for (const labels of alerts) {
        for (const s of silences) {
          let all = true;
          for (const m of s.matchers) if ((labels[m.name] === m.value) !== (m.op === '=' || m.op === '=~')) all = false;
          if (all) sink++;
        }
      }
    },
  ],
  [
    'activeSilencesFor',
    () => {
      for (const labels of alerts) sink += set.activeSilencesFor(labels, NOW).length;
    },
  ],
  [
    'regex built per call (peer)',
    () => {
      for (const labels of alerts) {
        for (const s of silences) {
          if (NOW < s.startsAt || NOW >= s.endsAt) continue;
          let all = true;
          for (const m of s.matchers) {
            const v = labels[m.name] ?? '';
            const hit = m.op === '=' || m.op === '!=' ? v === m.value : new RegExp(`^(?:${m.value})$`, 'u').test(v);
            if (hit !== (m.op === '=' || m.op === '=~')) all = false;
          }
          if (all && (!s.schedule || inWindow(s.schedule, NOW))) sink++;
        }
      }
    },
  ],
];

for (const [, fn] of cases) fn(); // warm-up
const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of cases) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.get(name)!.push(Number(process.hrtime.bigint() - t0) / A);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ceiling = median(samples.get(cases[0][0])!);
console.log(`silences bench: ${S} silences × ${A} alerts, ${ROUNDS} rounds, median per alert; node ${process.version}`);
for (const [name] of cases) {
  const ns = median(samples.get(name)!);
  console.log(`  ${name.padEnd(34)} ${(ns / 1000).toFixed(1).padStart(8)} µs/alert  ${Math.round(1e9 / ns).toLocaleString('en-US').padStart(10)} alerts/s  ${(ns / ceiling).toFixed(1).padStart(5)}× the ceiling`);
}
if (sink === 0.5) console.log('');
