// Series tags as the dashboard shows them: compact `key=value` chips. Pure (no DOM), so Node unit
// tests cover it. Tags are user input (ingest accepts any text): the chips are built with
// lib/dom.js (text nodes only) and long keys or values are cut here, the full text kept for the
// tooltip and for the silence matcher a click prefills.

/** Characters of `key=value` shown on a chip before it is cut (the full pair is in its title). */
export const TAG_CHIP_CHARS = 32;
/** Chips shown per row; the rest are counted in a `+N` chip so a row stays one or two lines. */
export const TAG_CHIPS_SHOWN = 6;

/**
 * The tags of a record as chips, sorted by key: `{key, value, text, title}`; anything that is not
 * a plain object of string values (a malformed or missing `tags`) gives no chips.
 */
export function tagChips(tags, max = TAG_CHIP_CHARS) {
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) return [];
  return Object.entries(tags)
    .filter(([, value]) => typeof value === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => {
      const title = `${key}=${value}`;
      const text = title.length <= max ? title : `${title.slice(0, max - 1)}…`;
      return { key, value, text, title };
    });
}

/** The silence matcher a click on a chip prefills: exactly this tag's value. */
export function matcherForTag(key, value) {
  return { name: `tag:${key}`, op: '=', value: String(value) };
}
