import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../bin/command.ts';
import { command, formatSummary, parseProduceArgs, runProduce, usage } from '../../../bin/commands/produce.ts';
import type { MetricPoint } from '../../../schemas/records.ts';

const excerpt = fileURLToPath(new URL('../../fixtures/nab/machine_temperature_head40.csv', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

function collect() {
  const calls: MetricPoint[][] = [];
  return { calls, send: async (points: MetricPoint[]) => void calls.push(points) };
}

describe('vigil produce: options', () => {
  it('--help documents every option', () => {
    for (const name of Object.keys(command.options)) expect(usage, name).toContain(`--${name}`);
    const out = execFileSync(path.join(root, 'bin/vigil'), ['produce', '--help'], { encoding: 'utf8' });
    expect(out).toContain('--incidents <list>');
  });

  it('parses the synthetic flags from the brief', () => {
    const plan = parseProduceArgs({ sources: '5', metrics: 'all', rate: '10', duration: '60s', seed: '1', incidents: 'spike:300,drop:600,level_shift:900', realtime: true }, []);
    expect(plan).toMatchObject({ mode: 'synthetic', sources: 5, rate: 10, durationMs: 60_000, seed: 1, realtime: true, batch: 1000, dryRun: false });
    if (plan.mode === 'synthetic') {
      expect(plan.metrics).toHaveLength(8);
      expect(plan.incidents.map((i) => [i.kind, i.at])).toEqual([['spike', { index: 300 }], ['drop', { index: 600 }], ['level_shift', { index: 900 }]]);
    }
    expect(parseProduceArgs({ sources: 'web,db', metrics: 'cpu_usage, custom_metric', points: '10', tag: ['env=test', 'a=b=c'] }, [])).toMatchObject({
      sources: ['web', 'db'], metrics: ['cpu_usage', 'custom_metric'], points: 10, tags: { env: 'test', a: 'b=c' },
    });
    expect(parseProduceArgs({ csv: ['a.csv', 'b.csv'], speedup: '60', 'metric-name': 'temp', rebase: true }, [])).toMatchObject({
      mode: 'csv', files: ['a.csv', 'b.csv'], speedup: 60, metric: 'temp', rebase: true,
    });
    expect(parseProduceArgs({ csv: ['a.csv'] }, ['b.csv', 'c.csv'])).toMatchObject({ mode: 'csv', files: ['a.csv', 'b.csv', 'c.csv'] });
    expect(() => parseProduceArgs({}, ['a.csv'])).toThrow(/CSV files go after --csv/);
  });

  it.each([
    [{ rate: '0' }, /--rate must be a positive number/],
    [{ rate: 'fast' }, /--rate/],
    [{ duration: '10 parsecs' }, /--duration/],
    [{ duration: '5s', points: '5' }, /not both/],
    [{ seed: '1.5' }, /--seed must be an integer/],
    [{ sources: '0' }, /--sources must be 1\.\.100000/],
    [{ metrics: 'a,a' }, /twice/],
    [{ incidents: 'boom:5' }, /kind is one of/],
    [{ start: 'yesterday' }, /--start/],
    [{ tag: ['novalue'] }, /--tag must be key=value/],
    [{ csv: ['x.csv'], rate: '5' }, /--rate is for synthetic load/],
    [{ speedup: '2' }, /--speedup only applies to --csv/],
    [{ batch: '-1' }, /--batch/],
  ])('rejects %j', (values, error) => {
    expect(() => parseProduceArgs(values, [])).toThrow(UsageError);
    expect(() => parseProduceArgs(values, [])).toThrow(error);
  });

  it('exits 2 with the reason on a bad flag', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(path.join(root, 'bin/vigil'), ['produce', '--rate=-3', '--dry-run'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      status = (err as { status: number }).status;
      stderr = String((err as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/--rate must be a positive number/);
  });
});

describe('vigil produce: runs', () => {
  const base = parseProduceArgs({ sources: '2', metrics: 'cpu_usage,response_time', rate: '10', duration: '3s', seed: '4', start: '1700000000000', batch: '25' }, []);

  it('fast mode sends every point in batches, with synthetic timestamps, and counts per series', async () => {
    const { calls, send } = collect();
    const summary = await runProduce(base, { send });
    expect(summary.sent).toBe(120);
    expect(calls.map((c) => c.length)).toEqual([25, 25, 25, 25, 20]);
    expect([...summary.perSeries.values()]).toEqual([30, 30, 30, 30]);
    expect(summary.firstTimestamp).toBe(1_700_000_000_000);
    expect(summary.lastTimestamp).toBe(1_700_000_002_900);
    // Same flags, same points.
    const again = collect();
    await runProduce(base, { send: again.send });
    expect(again.calls.flat()).toEqual(calls.flat());
  });

  it('fast mode ends at now when no --start is given', async () => {
    const plan = parseProduceArgs({ sources: '1', metrics: 'x', rate: '2', duration: '10s' }, []);
    const { calls, send } = collect();
    await runProduce(plan, { send, now: () => 1_800_000_000_000 });
    expect(calls.flat().at(-1)!.timestamp).toBe(1_800_000_000_000);
    expect(calls.flat()[0].timestamp).toBe(1_800_000_000_000 - 9500);
  });

  it('real-time mode sends one tick per 1/rate with wall-clock timestamps', async () => {
    const plan = parseProduceArgs({ sources: '1', metrics: 'cpu_usage', rate: '20', points: '4', realtime: true }, []);
    const { calls, send } = collect();
    const t0 = Date.now();
    const summary = await runProduce(plan, { send });
    expect(calls.map((c) => c.length)).toEqual([1, 1, 1, 1]);
    expect(summary.sent).toBe(4);
    const stamps = calls.flat().map((p) => p.timestamp);
    expect(stamps[0]).toBeGreaterThanOrEqual(t0);
    expect(stamps.map((t) => t - stamps[0])).toEqual([0, 50, 100, 150]);
    expect(Date.now()).toBeGreaterThanOrEqual(stamps[3]);
  });

  it('writes the ground truth file and lists incidents in the summary', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-produce-'));
    const truthFile = path.join(dir, 'truth.json');
    const plan = parseProduceArgs({ sources: '2', metrics: 'cpu_usage,response_time', rate: '10', duration: '3s', seed: '4', start: '1700000000000', incidents: 'spike:10:source-1/cpu_usage', truth: truthFile }, []);
    const summary = await runProduce(plan, collect());
    const truth = JSON.parse(readFileSync(truthFile, 'utf8'));
    expect(truth.incidents).toEqual([expect.objectContaining({ kind: 'spike', seriesId: 'source-1/cpu_usage', startIndex: 10, startTimestamp: 1_700_000_001_000 })]);
    const text = formatSummary(summary, 'p.metrics', false);
    expect(text).toMatch(/^sent 120 points to p\.metrics/);
    expect(text).toContain('source-2/response_time  30');
    expect(text).toContain('spike at point 10 (2023-11-14T22:13:21.000Z) on 1 series');
  });

  it('refuses runs over --max-points before sending anything', async () => {
    const { calls, send } = collect();
    await expect(runProduce({ ...base, maxPoints: 100 }, { send })).rejects.toThrow(/would send 120 points, more than --max-points 100/);
    expect(calls).toHaveLength(0);
  });

  it('stops between batches when interrupted and says so', async () => {
    const controller = new AbortController();
    const { calls } = collect();
    const summary = await runProduce(base, {
      send: async (points) => {
        calls.push(points);
        if (calls.length === 2) controller.abort();
      },
      signal: controller.signal,
    });
    expect(summary).toMatchObject({ sent: 50, interrupted: true });
  });

  it('replays CSV: as fast as possible, or paced with --speedup, or rebased to now', async () => {
    const fast = collect();
    const summary = await runProduce(parseProduceArgs({ csv: [excerpt], batch: '16' }, []), { send: fast.send });
    expect(summary.sent).toBe(40);
    expect(fast.calls.map((c) => c.length)).toEqual([16, 16, 8]);
    expect(fast.calls[0][0]).toMatchObject({ source: 'machine_temperature_head40', metric: 'value', timestamp: Date.UTC(2013, 11, 2, 21, 15) });

    // 5-minute spacing at 6000x is 50 ms per point; four points then stop.
    const paced = collect();
    const controller = new AbortController();
    const t0 = Date.now();
    const result = await runProduce(parseProduceArgs({ csv: [excerpt], speedup: '6000' }, []), {
      send: async (p) => {
        paced.calls.push(p);
        if (paced.calls.length === 4) controller.abort();
      },
      signal: controller.signal,
    });
    expect(result).toMatchObject({ sent: 4, interrupted: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    const rebased = collect();
    await runProduce(parseProduceArgs({ csv: [excerpt], rebase: true }, []), { send: rebased.send, now: () => 1_800_000_000_000 });
    const pts = rebased.calls.flat();
    expect(pts.at(-1)!.timestamp).toBe(1_800_000_000_000);
    expect(pts[1].timestamp - pts[0].timestamp).toBe(300_000);
  });
});
