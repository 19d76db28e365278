/** A SilenceStore held in memory: for tests and for processes given silences directly. */
import type { SilenceStore } from './silence-store.ts';
import { compileSilence } from './silence.ts';
import { SilenceSet } from './silence-set.ts';
import { VigilError } from '../../core/errors.ts';

export function memorySilenceStore(set = new SilenceSet()): SilenceStore & { set: SilenceSet } {
  return {
    set,
    ready: true,
    list: (now, state) => set.list(now, state),
    get: (id) => set.get(id),
    activeSilencesFor: (labels, now) => set.activeSilencesFor(labels, now),
    async write(silence) {
      const c = compileSilence(silence);
      if (!c.ok) throw new VigilError(`refusing to keep an invalid silence: ${c.errors.join('; ')}`, { code: 'invalid-silence' });
      set.put(c.value);
    },
  };
}
