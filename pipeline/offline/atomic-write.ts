/**
 * Whole-file writes: the text goes to a temporary file beside the target, then is renamed over
 * it, so a reader (or a crash) never sees half an output file.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VigilError } from '../../core/errors.ts';

export function writeFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (cause) {
    rmSync(tmp, { force: true });
    throw new VigilError(`cannot write ${file}`, { cause, action: 'check that the output folder is writable and has space' });
  }
}
