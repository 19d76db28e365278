/** Options shared by the commands that run the detector over recorded files (nab, detect). */
import { getConfig } from '../../core/config.ts';
import { UsageError } from '../command.ts';

/** `--window-size N`, or the config's pipeline.windowSize (the pipeline's own window). */
export function windowSizeOption(text: string | undefined): number {
  if (text === undefined) return getConfig().pipeline.windowSize;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 10 || n > 100_000) throw new UsageError(`--window-size must be an integer in [10, 100000], got ${JSON.stringify(text)}`);
  return n;
}
