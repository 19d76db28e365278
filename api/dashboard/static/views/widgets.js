// Small presentational pieces shared by several views.
import { h } from '../lib/dom.js';

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

