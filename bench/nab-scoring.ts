/**
 * NAB v1.1 scoring, as specified in data/nab/README.md (and NAB's sweeper):
 * probation, scaled-sigmoid weights, only the earliest detection per window counts, every
 * false positive counts, one threshold for the whole corpus chosen by sweeping every distinct
 * score, normalised against the null and the perfect detector.
 */

export interface CostProfile {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

export const STANDARD_PROFILE: CostProfile = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };

/** NAB's three cost profiles (data/nab/config/profiles.json), in NAB's order and names. */
export const NAB_PROFILES = {
  standard: STANDARD_PROFILE,
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
} as const satisfies Record<string, CostProfile>;
export type NabProfileName = keyof typeof NAB_PROFILES;
export const NAB_PROFILE_NAMES = Object.keys(NAB_PROFILES) as NabProfileName[];

/** Each profile scored with its own best threshold, as NAB's optimiser does. */
export function nabScoreAllProfiles(files: LabelledFile[]): Record<NabProfileName, SweepResult> {
  return Object.fromEntries(NAB_PROFILE_NAMES.map((name) => [name, nabScore(files, NAB_PROFILES[name])])) as Record<NabProfileName, SweepResult>;
}

export interface LabelledFile {
  name: string;
  /** Anomaly scores per row, in [0, 1]. */
  scores: ArrayLike<number>;
  /** Windows as inclusive row index ranges, in time order, non-overlapping. */
  windows: Array<[start: number, end: number]>;
}

/** σ(p) = 2 / (1 + e^(5p)) - 1, and -1 from p >= 3 on (a detection far past any window). */
export function scaledSigmoid(p: number): number {
  if (p >= 3) return -1;
  return 2 / (1 + Math.exp(5 * p)) - 1;
}

export function probationRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}

interface ScorableRow {
  score: number;
  /** Corpus-wide window id, or -1 outside every window. */
  window: number;
  /** What a detection at this row adds (TP: the window's value if it is the best; FP: added). */
  weight: number;
}

export interface SweepResult {
  threshold: number;
  rawScore: number;
  nullScore: number;
  perfectScore: number;
  normalized: number;
  windows: number;
  detectedWindows: number;
  falsePositives: number;
}

/** What a detection at each row of a file is worth under a profile (NAB sweeper.calcSweepScore). */
export interface RowWeights {
  /** TP: the window's value if it is the earliest detection; FP: added to the score. */
  weight: Float64Array;
  /** Index of the file's window the row lies in, -1 outside every window. */
  window: Int32Array;
  /** Rows before this one are NAB's probation period: never scored. */
  probation: number;
}

export function rowWeights(file: LabelledFile, profile: CostProfile): RowWeights {
  const n = file.scores.length;
  const out: RowWeights = { weight: new Float64Array(n), window: new Int32Array(n).fill(-1), probation: probationRows(n) };
  const maxTP = scaledSigmoid(-1);
  let w = 0; // next window
  let cur = -1; // index of the window we are in
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    if (cur < 0 && w < file.windows.length && i === file.windows[w][0]) cur = w++;
    if (cur >= 0) {
      const [left, right] = file.windows[cur];
      const width = right - left + 1;
      out.weight[i] = (scaledSigmoid(-(right - i + 1) / width) * profile.tpWeight) / maxTP;
      out.window[i] = cur;
    } else if (prevRight < 0) {
      out.weight[i] = -profile.fpWeight;
    } else {
      out.weight[i] = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1)) * profile.fpWeight;
    }
    if (cur >= 0 && i === file.windows[cur][1]) {
      prevRight = i;
      prevWidth = file.windows[cur][1] - file.windows[cur][0] + 1;
      cur = -1;
    }
  }
  return out;
}

/**
 * The file's scorable rows (probation left out), pushed onto `out`. Returns the ids of the
 * windows that count: as in NAB's sweeper, a window lying wholly inside the probation period has
 * no scorable row and is neither missed nor detectable.
 */
function scorableRows(file: LabelledFile, firstWindowId: number, profile: CostProfile, out: ScorableRow[]): number[] {
  const { weight, window, probation } = rowWeights(file, profile);
  for (let i = probation; i < weight.length; i++) out.push({ score: file.scores[i], window: window[i] >= 0 ? firstWindowId + window[i] : -1, weight: weight[i] });
  return file.windows.flatMap(([, end], k) => (end >= probation ? [firstWindowId + k] : []));
}

/**
 * Sweeps every distinct score as the threshold (detection: score >= t) and returns the best
 * corpus score, normalised: 100 · (S − S_null) / (S_perfect − S_null).
 */
export function nabScore(files: LabelledFile[], profile: CostProfile = STANDARD_PROFILE): SweepResult {
  const rows: ScorableRow[] = [];
  let ids = 0;
  let windows = 0;
  for (const file of files) {
    windows += scorableRows(file, ids, profile, rows).length;
    ids += file.windows.length;
  }
  rows.sort((a, b) => b.score - a.score);
  const best = new Float64Array(ids).fill(-profile.fnWeight);
  const nullScore = -windows * profile.fnWeight;
  const perfectScore = windows * profile.tpWeight;
  let total = nullScore;
  let fp = 0;
  let detected = 0;
  let bestTotal = nullScore;
  let bestThreshold = Infinity;
  let bestFp = 0;
  let bestDetected = 0;
  for (let k = 0; k < rows.length; ) {
    const t = rows[k].score;
    // every row with this exact score becomes a detection together
    for (; k < rows.length && rows[k].score === t; k++) {
      const r = rows[k];
      if (r.window < 0) {
        total += r.weight;
        fp++;
      } else if (r.weight > best[r.window]) {
        if (best[r.window] === -profile.fnWeight) detected++;
        total += r.weight - best[r.window];
        best[r.window] = r.weight;
      }
    }
    if (total > bestTotal) {
      bestTotal = total;
      bestThreshold = t;
      bestFp = fp;
      bestDetected = detected;
    }
  }
  return {
    threshold: bestThreshold,
    rawScore: bestTotal,
    nullScore,
    perfectScore,
    normalized: (100 * (bestTotal - nullScore)) / (perfectScore - nullScore),
    windows,
    detectedWindows: bestDetected,
    falsePositives: bestFp,
  };
}
