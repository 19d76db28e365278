/**
 * The silences an instance knows, newest version of each. Fed record by record from the
 * silences topic (every process reads it whole), asked by the notifier and the API which
 * silences mute an alert right now. Expiry needs no event: a silence is in force only while
 * `now` is inside its range (and its window), so one that ends stops applying by itself.
 */
import { compileSilence, silenceState, silences, type CompiledSilence, type Silence, type SilenceState } from './silence.ts';
import type { Validation } from './input.ts';

/** How long an expired silence stays listed (Alertmanager keeps them 5 days by default). */
export const DEFAULT_EXPIRED_RETENTION_MS = 5 * 86_400_000;

export class SilenceSet {
  private readonly byId = new Map<string, CompiledSilence>();

  /** Adds or replaces a silence; an older version than the one held is ignored (re-delivery). */
  put(compiled: CompiledSilence): boolean {
    const held = this.byId.get(compiled.silence.id);
    if (held && held.silence.version >= compiled.silence.version) return false;
    this.byId.set(compiled.silence.id, compiled);
    return true;
  }

  /** Validates and adds a silence given as plain data (a topic value, a test fixture). */
  add(input: unknown): Validation<Silence> {
    const c = compileSilence(input);
    if (!c.ok) return c;
    this.put(c.value);
    return { ok: true, value: c.value.silence };
  }

  /** A tombstone: the silence is gone from the topic. */
  remove(id: string): void {
    this.byId.delete(id);
  }

  get(id: string): Silence | undefined {
    return this.byId.get(id)?.silence;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Silences newest first (by startsAt, then id), optionally only those in one state. */
  list(now: number, state?: SilenceState): Silence[] {
    const out: Silence[] = [];
    for (const { silence } of this.byId.values()) if (!state || silenceState(silence, now) === state) out.push(silence);
    return out.sort((a, b) => b.startsAt - a.startsAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The silences muting an alert with these labels at `now`, by id. Empty = notify. */
  activeSilencesFor(labels: Readonly<Record<string, string>>, now: number): Silence[] {
    const out: Silence[] = [];
    for (const c of this.byId.values()) if (silences(c, labels, now)) out.push(c.silence);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Forgets silences expired for longer than `retentionMs` (memory stays bounded). */
  prune(now: number, retentionMs = DEFAULT_EXPIRED_RETENTION_MS): number {
    let dropped = 0;
    for (const [id, c] of this.byId) {
      if (c.silence.endsAt + retentionMs <= now) {
        this.byId.delete(id);
        dropped++;
      }
    }
    return dropped;
  }
}

/** Free-function form for callers holding a set: `activeSilencesFor(set, labels, now)`. */
export function activeSilencesFor(set: SilenceSet, labels: Readonly<Record<string, string>>, now: number): Silence[] {
  return set.activeSilencesFor(labels, now);
}
