import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NAB_PROFILES, NAB_PROFILE_NAMES, nabScore, nabScoreAllProfiles, probationRows, scaledSigmoid, STANDARD_PROFILE, type LabelledFile } from '../../../bench/nab-scoring.ts';

const file = (n: number, windows: Array<[number, number]>, fire: number[] = [], name = 'f'): LabelledFile => {
  const scores = new Float64Array(n);
  for (const i of fire) scores[i] = 1;
  return { name, scores, windows };
};

describe('NAB scoring (standard profile)', () => {
  it('the scaled sigmoid has the published anchor values', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  it('probation is 15 % of the rows, at most 750', () => {
    expect(probationRows(1000)).toBe(150);
    expect(probationRows(22695)).toBe(750);
  });

  it('null detector scores 0, perfect detector 100', () => {
    const windows: Array<[number, number]> = [[400, 449], [800, 829]];
    expect(nabScore([file(1000, windows)]).normalized).toBe(0);
    const perfect = nabScore([file(1000, windows, [400, 800])]);
    expect(perfect.normalized).toBeCloseTo(100, 10);
    expect(perfect).toMatchObject({ detectedWindows: 2, falsePositives: 0, windows: 2 });
  });

  it('a late detection earns less, only the earliest detection of a window counts, each false positive costs', () => {
    const windows: Array<[number, number]> = [[400, 499]];
    // detection at the middle of the window: σ(-(499 - 450 + 1)/100) = σ(-0.5) / σ(-1)
    const mid = nabScore([file(1000, windows, [450])]);
    expect(mid.rawScore).toBeCloseTo(scaledSigmoid(-0.5) / scaledSigmoid(-1), 10);
    const twice = nabScore([file(1000, windows, [450, 420])]);
    expect(twice.rawScore).toBeCloseTo(scaledSigmoid(-0.8) / scaledSigmoid(-1), 10);
    // a false positive before any window: -A_FP; one far after the window: -A_FP too (σ = -1 for p >= 3)
    const withFp = nabScore([file(1000, windows, [400, 200, 900])]);
    expect(withFp.rawScore).toBeCloseTo(1 - 0.11 - 0.11, 10);
    // right after the window: p = 1/99 → only a small cost
    const nearFp = nabScore([file(1000, windows, [400, 500])]);
    expect(nearFp.rawScore).toBeCloseTo(1 + 0.11 * scaledSigmoid(1 / 99), 10);
    expect(nearFp.falsePositives).toBe(1);
  });

  it('probation rows never count, and the best threshold is chosen over the whole corpus', () => {
    const windows: Array<[number, number]> = [[600, 699]];
    const a = file(1000, windows, [10]); // fires in probation only
    const b: LabelledFile = { name: 'b', windows: [[500, 599]], scores: new Float64Array(1000) };
    (b.scores as Float64Array)[500] = 0.9; // true positive at 0.9
    (b.scores as Float64Array)[200] = 0.95; // false positive at 0.95
    (b.scores as Float64Array)[300] = 0.5; // false positive at 0.5
    const r = nabScore([a, b], STANDARD_PROFILE);
    expect(r.threshold).toBe(0.9); // 0.95 alone is worse; 0.5 adds a cost
    expect(r.rawScore).toBeCloseTo(-1 + 1 - 0.11, 10);
    expect(r.normalized).toBeCloseTo((100 * (r.rawScore + 2)) / 4, 10);
  });
});

describe('NAB scoring: windows in probation', () => {
  it('a window wholly inside the probation period counts neither as missed nor as detectable (NAB sweeper)', () => {
    // 1000 rows → 150 probation rows; window [100, 140] lies inside it, [400, 449] after it
    const f = file(1000, [[100, 140], [400, 449]], [400]);
    const r = nabScore([f]);
    expect(r).toMatchObject({ windows: 1, detectedWindows: 1, nullScore: -1, perfectScore: 1 });
    expect(r.normalized).toBeCloseTo(100, 10);
    // a window reaching past the probation period counts (and can only be detected after it)
    const partly = nabScore([file(1000, [[100, 200], [400, 449]], [400])]);
    expect(partly).toMatchObject({ windows: 2, detectedWindows: 1 });
    expect(partly.normalized).toBeCloseTo(50, 10);
  });
});

describe('NAB scoring: the three profiles', () => {
  const profilesFile = fileURLToPath(new URL('../../../data/nab/config/profiles.json', import.meta.url));

  it('uses the cost matrices of NAB\'s config/profiles.json', () => {
    const published = JSON.parse(readFileSync(profilesFile, 'utf8')) as Record<string, { CostMatrix: { tpWeight: number; fpWeight: number; fnWeight: number } }>;
    expect(Object.keys(NAB_PROFILES).sort()).toEqual(Object.keys(published).sort());
    for (const [name, { CostMatrix: m }] of Object.entries(published)) {
      expect(NAB_PROFILES[name as keyof typeof NAB_PROFILES], name).toEqual({ tpWeight: m.tpWeight, fpWeight: m.fpWeight, fnWeight: m.fnWeight });
    }
  });

  it('null = 0 and perfect = 100 on every profile, even with many windows and files', () => {
    const windows: Array<[number, number]> = [[300, 339], [500, 509], [900, 999]];
    const nothing = [file(1200, windows, [], 'a'), file(800, [[200, 259]], [], 'b')];
    const perfect = [file(1200, windows, [300, 500, 900], 'a'), file(800, [[200, 259]], [200], 'b')];
    for (const name of NAB_PROFILE_NAMES) {
      expect(nabScoreAllProfiles(nothing)[name].normalized, name).toBe(0);
      expect(nabScoreAllProfiles(perfect)[name].normalized, name).toBeCloseTo(100, 10);
      expect(nabScoreAllProfiles(perfect)[name]).toMatchObject({ detectedWindows: 4, falsePositives: 0 });
    }
  });

  it('scores hand-computed cases per profile', () => {
    // two windows: one detected at its left edge (+1), one missed (-A_FN), one early false positive (-A_FP)
    const f = file(1000, [[300, 399], [600, 699]], [300, 200]);
    const all = nabScoreAllProfiles([f]);
    // standard: raw 1 - 1 - 0.11 = -0.11; null -2, perfect 2 → 100·1.89/4
    expect(all.standard.rawScore).toBeCloseTo(-0.11, 10);
    expect(all.standard.normalized).toBeCloseTo(47.25, 10);
    // reward_low_FP_rate: the false positive costs 0.22 → 100·1.78/4
    expect(all.reward_low_FP_rate.normalized).toBeCloseTo(44.5, 10);
    // reward_low_FN_rate: a miss costs 2: raw 1 - 2 - 0.11, null -4, perfect 2 → 100·2.89/6
    expect(all.reward_low_FN_rate.rawScore).toBeCloseTo(-1.11, 10);
    expect(all.reward_low_FN_rate.normalized).toBeCloseTo((100 * 2.89) / 6, 10);
  });

  it('picks each profile\'s own best threshold', () => {
    // a hit at 0.9; at 0.6 a second window's hit (worth 1 + A_FN over missing it) and ten early
    // false positives: worth it at standard (2 - 1.1) and reward_low_FN (3 - 1.1), not at reward_low_FP (2 - 2.2)
    const scores = new Float64Array(1000);
    scores[300] = 0.9;
    scores[600] = 0.6;
    for (let i = 160; i < 260; i += 10) scores[i] = 0.6;
    const all = nabScoreAllProfiles([{ name: 'f', scores, windows: [[300, 399], [600, 699]] }]);
    expect(all.standard).toMatchObject({ threshold: 0.6, falsePositives: 10, detectedWindows: 2 });
    expect(all.reward_low_FN_rate.threshold).toBe(0.6);
    expect(all.reward_low_FP_rate).toMatchObject({ threshold: 0.9, falsePositives: 0, detectedWindows: 1 });
  });
});
