// Light and dark themes. The colours live in styles.css as custom properties; with no choice
// stored the page follows the system (prefers-color-scheme, through CSS alone, so the first paint
// is already right). An operator's choice is kept in localStorage and set as data-theme on <html>.
// Canvas charts cannot read CSS, so their colours are resolved here and every chart redraws when
// the theme changes.

export const THEME_KEY = 'vigil.theme';
export const THEME_CHOICES = ['system', 'light', 'dark'];

/** The stored choice, or 'system' for anything else (absent, tampered with). */
export function parseThemeChoice(raw) {
  return THEME_CHOICES.includes(raw) ? raw : 'system';
}

/** 'light' or 'dark': what the page shows for a choice and the system's preference. */
export function effectiveTheme(choice, systemPrefersDark) {
  if (choice === 'light' || choice === 'dark') return choice;
  return systemPrefersDark ? 'dark' : 'light';
}

// Custom property → chart role. Resolved through a probe element: a custom property's computed
// value is its token text (light-dark(...)), a colour property's is the resolved rgb().
const CHART_VARS = { axis: '--muted', grid: '--line', value: '--accent', mean: '--muted', band: '--band', bandLine: '--band-line' };
const palette = { axis: '#8393a3', grid: '#2a3541', value: '#4aa3ff', mean: '#8393a3', band: 'rgb(131 147 163 / 0.12)', bandLine: 'rgb(131 147 163 / 0.5)' };
const plots = new Set();

function resolvePalette() {
  const probe = document.createElement('span');
  probe.hidden = true;
  document.body.append(probe);
  for (const [role, prop] of Object.entries(CHART_VARS)) {
    probe.style.color = `var(${prop})`;
    const rgb = getComputedStyle(probe).color;
    if (rgb) palette[role] = rgb;
  }
  probe.remove();
}

/** A uPlot stroke/fill: a function, so a redraw after a theme change picks up the new colour. */
export const chartColor = (role) => () => palette[role];

/** Axis options in the theme's colours (spread into each uPlot axis). */
export function themedAxis() {
  return { stroke: chartColor('axis'), grid: { stroke: chartColor('grid'), width: 1 }, ticks: { stroke: chartColor('grid'), width: 1 }, font: '11px system-ui' };
}

/** uPlot hooks that register a chart for redraws on theme changes. */
export const themeHooks = {
  init: [(u) => plots.add(u)],
  destroy: [(u) => plots.delete(u)],
};

/** Redraw every chart with its axes recomputed (their tick labels changed, e.g. the time zone). */
export function redrawCharts() {
  for (const u of plots) u.redraw(false, true);
}

/**
 * Wires the header's theme select: applies the stored choice, follows the system while the
 * choice is 'system', and redraws the charts whenever the effective theme changes.
 */
export function initTheme({ select, storage, matchMedia = window.matchMedia.bind(window) }) {
  const query = matchMedia('(prefers-color-scheme: dark)');
  let choice = parseThemeChoice(storage.get(THEME_KEY));
  const apply = () => {
    const root = document.documentElement;
    if (choice === 'system') delete root.dataset.theme;
    else root.dataset.theme = choice;
    root.dataset.themeEffective = effectiveTheme(choice, query.matches);
    resolvePalette();
    for (const u of plots) u.redraw(false);
  };
  select.value = choice;
  select.addEventListener('change', () => {
    choice = parseThemeChoice(select.value);
    storage.set(THEME_KEY, choice === 'system' ? null : choice);
    apply();
  });
  query.addEventListener('change', apply);
  apply();
}
