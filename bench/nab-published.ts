/**
 * The published NAB scoreboard: read from the corpus' results/final_results.json (NAB's own
 * file, vendored in data/nab/results/), or, for a corpus folder without it, the leading
 * detectors as NAB v1.1 publishes them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VigilError } from '../core/errors.ts';
import { NAB_PROFILE_NAMES, type NabProfileName } from './nab-scoring.ts';

export type ProfileScores = Record<NabProfileName, number>;

export interface PublishedDetector {
  /** NAB's key, e.g. `numenta`. */
  key: string;
  /** What people call it, e.g. `Numenta HTM`. */
  name: string;
  scores: ProfileScores;
}

const DISPLAY_NAMES: Record<string, string> = {
  ARTime: 'ARTime',
  numenta: 'Numenta HTM',
  contextOSE: 'CAD OSE',
  htmjava: 'HTM Java',
  numentaTM: 'Numenta TM',
  earthgeckoSkyline: 'earthgecko Skyline',
  knncad: 'KNN CAD',
  relativeEntropy: 'Relative Entropy',
  randomCutForest: 'Random Cut Forest',
  twitterADVec: 'Twitter ADVec',
  windowedGaussian: 'Windowed Gaussian',
  skyline: 'Etsy Skyline',
  expose: 'EXPoSE',
  random: 'random',
  null: 'null',
};

/** From NAB v1.1's results/final_results.json (to 3 decimals): used when the corpus folder lacks it. */
const FALLBACK: Record<string, ProfileScores> = {
  ARTime: { standard: 74.854, reward_low_FP_rate: 65.154, reward_low_FN_rate: 80.362 },
  numenta: { standard: 70.101, reward_low_FP_rate: 63.117, reward_low_FN_rate: 74.320 },
  contextOSE: { standard: 69.900, reward_low_FP_rate: 66.977, reward_low_FN_rate: 73.182 },
  earthgeckoSkyline: { standard: 58.200, reward_low_FP_rate: 46.195, reward_low_FN_rate: 63.800 },
  randomCutForest: { standard: 51.717, reward_low_FP_rate: 38.361, reward_low_FN_rate: 59.749 },
  windowedGaussian: { standard: 39.650, reward_low_FP_rate: 20.868, reward_low_FN_rate: 47.410 },
};

function toDetectors(table: Record<string, ProfileScores>): PublishedDetector[] {
  return Object.entries(table)
    .map(([key, scores]) => ({ key, name: DISPLAY_NAMES[key] ?? key, scores }))
    .sort((a, b) => b.scores.standard - a.scores.standard);
}

export function readPublishedScores(corpusRoot: string): { source: string; detectors: PublishedDetector[] } {
  const file = path.join(corpusRoot, 'results', 'final_results.json');
  if (!existsSync(file)) return { source: 'NAB v1.1 (built in; no results/final_results.json in the corpus folder)', detectors: toDetectors(FALLBACK) };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new VigilError(`cannot read ${file}`, { cause, action: 'restore NAB\'s results/final_results.json or remove it' });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new VigilError(`${file}: expected an object of detector → scores`, { action: 'restore NAB\'s results/final_results.json' });
  const table: Record<string, ProfileScores> = {};
  for (const [key, scores] of Object.entries(raw as Record<string, unknown>)) {
    const s = scores as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || !NAB_PROFILE_NAMES.every((p) => typeof s[p] === 'number' && Number.isFinite(s[p]))) {
      throw new VigilError(`${file}: detector ${JSON.stringify(key)} lacks a number for each of ${NAB_PROFILE_NAMES.join(', ')}`, { action: 'restore NAB\'s results/final_results.json' });
    }
    table[key] = Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, s[p] as number])) as ProfileScores;
  }
  return { source: file, detectors: toDetectors(table) };
}
