// Small presentational pieces shared by several views.
import { h } from '../lib/dom.js';
import { describeAlertValue } from '../lib/alert-value.js';
import { shortenText } from '../lib/format.js';
import { DEFAULT_RANGE, rangeCovering, seriesLink } from '../lib/series-view.js';
import { TAG_CHIPS_SHOWN, tagChips } from '../lib/tags.js';

/** A horizontal bar for a fraction in [0, 1] with its text; `tone` is good | warn | bad | ''. */
export function meter(fraction, text, tone) {
  const pct = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) * 100 : 0;
  return h(
    'div',
    { className: 'meter' },
    h('div', { className: 'bar' }, h('div', { className: `fill${tone ? ` ${tone}` : ''}`, style: { width: `${pct}%` } })),
    h('span', { className: 'text' }, text),
  );
}

/** Characters of a message shown before it is cut (about two lines of the alert table). */
export const MESSAGE_CHARS = 110;

/**
 * A message cut to MESSAGE_CHARS with the full text on demand: in the title (hover) and behind a
 * <details> the keyboard opens too. `note` (e.g. who resolved it) joins the title.
 */
export function longText(message, note = '', max = MESSAGE_CHARS) {
  const full = String(message ?? '');
  const title = note ? `${full}\n${note}` : full;
  const { text, truncated } = shortenText(full, max);
  if (!truncated) return h('span', { className: 'long-text', title: title || null }, full);
  return h(
    'details',
    { className: 'long-text', title },
    h('summary', {}, h('span', { className: 'short' }, text), ' ', h('span', { className: 'more' }, 'more'), h('span', { className: 'less' }, 'show less')),
    h('span', { className: 'full' }, full),
  );
}

/**
 * `source/metric` as a link to its series page, over the smallest range that still shows `at`
 * (an alert's opening, an anomaly's start; default: the last hour).
 */
export function seriesAnchor(record, at) {
  const range = Number.isFinite(at) ? rangeCovering(at, Date.now()) : DEFAULT_RANGE;
  return h('a', { className: 'series-link', href: seriesLink(record, range), dataset: { role: 'series-link' } }, `${record.source}/${record.metric}`);
}

/** The Value cell: what the alert compares, per kind, with units (lib/alert-value.js). */
export function valueCell(a, unitOf) {
  const { text, title } = describeAlertValue(a, unitOf);
  return h('td', { className: 'num value', dataset: { label: 'Value', kind: a.kind }, title }, text);
}

/**
 * A record's series tags as `key=value` chips; with `onPick` each chip is a button that passes
 * (key, value) on (the views prefill a silence with it). Null when there are no tags.
 */
export function tagList(tags, onPick) {
  const chips = tagChips(tags);
  if (chips.length === 0) return null;
  const shown = chips.slice(0, TAG_CHIPS_SHOWN).map((c) =>
    onPick
      ? h('button', { type: 'button', className: 'tag-chip', title: `${c.title}\nsilence alerts with this tag`, dataset: { role: 'tag', tagKey: c.key }, on: { click: () => onPick(c.key, c.value) } }, c.text)
      : h('span', { className: 'tag-chip', title: c.title, dataset: { role: 'tag', tagKey: c.key } }, c.text),
  );
  const rest = chips.slice(TAG_CHIPS_SHOWN);
  if (rest.length > 0) shown.push(h('span', { className: 'tag-chip more', title: rest.map((c) => c.title).join('\n') }, `+${rest.length}`));
  return h('div', { className: 'tags', dataset: { role: 'tags' } }, shown);
}
