// Small presentational pieces shared by several views.
import { h } from '../lib/dom.js';
import { DEFAULT_RANGE, rangeCovering, seriesLink } from '../lib/series-view.js';

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


/**
 * `source/metric` as a link to its series page, over the smallest range that still shows `at`
 * (an alert's opening, an anomaly's start; default: the last hour).
 */
export function seriesAnchor(record, at) {
  const range = Number.isFinite(at) ? rangeCovering(at, Date.now()) : DEFAULT_RANGE;
  return h('a', { className: 'series-link', href: seriesLink(record, range), dataset: { role: 'series-link' } }, `${record.source}/${record.metric}`);
}
