/**
 * Decoding vigil.metrics records, per record, on one core.
 *
 *   npx tsx bench/decode.ts [--records 200000] [--rounds 5]
 *
 * Cases, measured in the same run (interleaved rounds, median reported) so they compare:
 *  - avsc fromBuffer:    plain `type.fromBuffer(body)` on the Avro body alone — the ceiling:
 *                        no framing, no schema lookup, no bounds guard, no validation
 *  - decodeMetricRecord: the pipeline's path on the full record: framing + fingerprint
 *                        lookup, body guard, avsc read, semantic checks, key check
 *  - the same two for an older writer schema (v0, no tags) read as v1: the avsc resolver
 *    path, with plain `fromBuffer(body, resolver)` as its ceiling
 * Records come from the seeded load generator (8 metrics, 2 tags each). Bounded: fixed
 * record and round counts, no I/O.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { emitResult, markdownTable, type BenchTable, type Headline } from './support/result.ts';
import { frameSingleObject } from '../pipeline/codec/framing.ts';
import { createMetricDecoder } from '../pipeline/ingest/decode-record.ts';
import { createLoadGenerator } from '../pipeline/loadgen/index.ts';
import { committedSchemaDefinitions, createSchemaRegistry } from '../schemas/avro/registry.ts';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } } });
const N = Math.min(Math.max(1000, Number(args.records) || 200_000), 2_000_000);
const ROUNDS = Math.min(Math.max(1, Number(args.rounds) || 5), 20);

const v0 = JSON.parse(readFileSync(new URL('../test/fixtures/avro/evolution/metric-point.v0.avsc', import.meta.url), 'utf8'));
const registry = createSchemaRegistry([...committedSchemaDefinitions(), { schema: v0, version: 0, id: 100 }]);
const v1 = registry.latest('io.vigil.MetricPoint');
const w0 = registry.get('io.vigil.MetricPoint', 0)!;
const decode = createMetricDecoder(registry);

const start = Date.now() - 3_600_000;
const gen = createLoadGenerator({ sources: Math.ceil(N / 8 / 100), rate: 10, points: 100, seed: 1, startMs: start, tags: { region: 'eu-west-1', host: 'web-01' } });
const points = [...gen.points()].slice(0, N);
const keys = points.map((p) => Buffer.from(`${p.source}/${p.metric}`));
const bodies = points.map((p) => v1.type.toBuffer(p));
const framed = bodies.map((b) => frameSingleObject(v1.fingerprint, b));
const bodiesV0 = points.map((p) => w0.type.toBuffer(p));
const framedV0 = bodiesV0.map((b) => frameSingleObject(w0.fingerprint, b));
const resolverV0 = v1.type.createResolver(w0.type);
const limits = { maxTagCount: 32, maxTagBytes: 2048, maxFutureSkewMs: 86_400_000, nowMs: Date.now() };

let sink = 0;
const cases: Array<[string, () => void]> = [
  [
    'avsc fromBuffer (ceiling)',
    () => {
      for (let i = 0; i < N; i++) sink += (v1.type.fromBuffer(bodies[i]) as { value: number }).value;
    },
  ],
  [
    'decodeMetricRecord',
    () => {
      for (let i = 0; i < N; i++) {
        const r = decode({ key: keys[i], value: framed[i] }, limits);
        if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
        sink += r.point.value;
      }
    },
  ],
  [
    'avsc fromBuffer, v0 body via resolver',
    () => {
      for (let i = 0; i < N; i++) sink += (v1.type.fromBuffer(bodiesV0[i], resolverV0) as { value: number }).value;
    },
  ],
  [
    'decodeMetricRecord, v0 writer → v1 reader',
    () => {
      for (let i = 0; i < N; i++) {
        const r = decode({ key: keys[i], value: framedV0[i] }, limits);
        if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
        sink += r.point.value;
      }
    },
  ],
];

// Warm-up: let the JIT compile every path before timing.
for (const [, fn] of cases) fn();
const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of cases) {
    const t0 = process.hrtime.bigint();
    fn();
    const ns = Number(process.hrtime.bigint() - t0);
    samples.get(name)!.push((N / ns) * 1e9);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Each decodeMetricRecord case is compared with the avsc case just before it.
const ceilingOf = (index: number) => median(samples.get(cases[index % 2 === 0 ? index : index - 1][0])!);
const avgBytes = framed.reduce((n, b) => n + b.length, 0) / framed.length;
const title = `decode bench: ${N} records (${avgBytes.toFixed(0)} bytes framed on average), ${ROUNDS} rounds, median records/s; node ${process.version}`;
const table: BenchTable = { columns: ['case', 'records/s', 'ns/record', 'of its avsc ceiling'], rows: [] };
const headlines: Headline[] = [];
for (const [index, [name]] of cases.entries()) {
  const rate = median(samples.get(name)!);
  const ceiling = ceilingOf(index);
  table.rows.push([name, Math.round(rate), Math.round(1e9 / rate), `${((rate / ceiling) * 100).toFixed(0)} %`]);
  if (index % 2 === 1) headlines.push({ figure: `${name} records/s`, value: Math.round(rate), unit: 'records/s', reference: { kind: 'ceiling', label: cases[index - 1][0], value: Math.round(ceiling) }, higherIsBetter: true });
}
console.log(`${title}\n\n${markdownTable(table)}`);
emitResult({ tables: [{ title, ...table }], headlines });
if (sink === 0.5) console.log(''); // keep the work observable to the optimiser
