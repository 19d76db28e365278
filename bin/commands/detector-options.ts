/** Options shared by the commands that run the detector over recorded files (nab, detect). */
import { getConfig } from '../../core/config.ts';
import { UsageError } from '../command.ts';
import { MAX_SEASON_PERIOD, MIN_SEASON_PERIOD, seasonPeriodParam } from '../../workers/detector-params.ts';

/** `--window-size N`, or the config's pipeline.windowSize (the pipeline's own window). */
export function windowSizeOption(text: string | undefined): number {
  if (text === undefined) return getConfig().pipeline.windowSize;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 10 || n > 100_000) throw new UsageError(`--window-size must be an integer in [10, 100000], got ${JSON.stringify(text)}`);
  return n;
}

/**
 * `--season-period auto|none|SECONDS` as the detector param (-1 auto, 0 none, seconds), or the
 * config's pipeline.seasonPeriod.
 */
export function seasonPeriodOption(text: string | undefined): number {
  if (text === undefined) return seasonPeriodParam(getConfig().pipeline.seasonPeriod);
  if (text === 'auto' || text === 'none') return seasonPeriodParam(text);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < MIN_SEASON_PERIOD || n > MAX_SEASON_PERIOD) {
    throw new UsageError(`--season-period must be auto, none or whole seconds in [${MIN_SEASON_PERIOD}, ${MAX_SEASON_PERIOD}], got ${JSON.stringify(text)}`);
  }
  return n;
}
