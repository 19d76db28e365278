// What an alert's value and threshold mean, per alert kind, as one short cell text and a longer
// title. The pipeline (pipeline/alerts/series-monitor.ts) stores per kind:
//   threshold  value = the metric value,      threshold = the crossed level's bound
//   anomaly    value = the metric value,      threshold = the rule's minimum score (the score is in the message)
//   sla        value = the long-window burn,  threshold = the window's alert factor
//   nodata     value = ms silent at opening,  threshold = the no-data limit in ms
// Pure: units come in as a lookup (client-config's metricUnits).
import { formatBurnRate, formatElapsed, formatNumber, formatScore, formatWithUnit } from './format.js';

const OPERATORS = { above: '>', below: '<' };

/** The rule's direction from a threshold message (`…, above the high bound 90 %`). */
function thresholdDirection(message) {
  const m = /, (above|below) the \S+ bound /.exec(typeof message === 'string' ? message : '');
  return m ? m[1] : null;
}

/** The anomaly score an anomaly alert's message carries (`… (score 0.93, confidence …`). */
export function anomalyScoreOf(message) {
  const m = /\(score (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\b/i.exec(typeof message === 'string' ? message : '');
  return m ? Number(m[1]) : null;
}

function threshold(a, unit) {
  const value = formatWithUnit(a.value, unit);
  const bound = formatWithUnit(a.threshold, unit);
  // A firing alert's value is past its bound, which tells the direction when the message does not.
  let direction = thresholdDirection(a.message);
  if (!direction && a.status !== 'resolved' && Number.isFinite(a.value) && Number.isFinite(a.threshold) && a.value !== a.threshold) direction = a.value > a.threshold ? 'above' : 'below';
  if (!direction) return { text: `${value} vs ${bound} bound`, title: `value ${value} against the ${a.severity} bound ${bound}` };
  const op = OPERATORS[direction];
  const holds = direction === 'above' ? a.value > a.threshold : a.value < a.threshold;
  return {
    text: holds ? `${value} ${op} ${bound}` : `${value}, bound ${op} ${bound}`,
    title: `value ${value}; the ${a.severity} bound alerts when the value is ${direction} ${bound}`,
  };
}

function anomaly(a, unit) {
  const score = anomalyScoreOf(a.message);
  const min = formatScore(a.threshold);
  const value = formatWithUnit(a.value, unit);
  if (score === null) return { text: `${value} (min score ${min})`, title: `value ${value}; the rule alerts at an anomaly score of ${min} or more` };
  return {
    text: `score ${formatScore(score)} ${score >= a.threshold ? '≥' : '<'} ${min}`,
    title: `anomaly score ${formatScore(score)} against the rule's minimum ${min}; value ${value}`,
  };
}

function sla(a) {
  return {
    text: `${formatBurnRate(a.value)} vs ${formatBurnRate(a.threshold)} burn`,
    title: `error-budget burn rate ${formatBurnRate(a.value)} over the long window; the alert fires above ${formatBurnRate(a.threshold)} (1× spends the budget in exactly the SLA window)`,
  };
}

function nodata(a) {
  return {
    text: `silent ${formatElapsed(a.value)} (limit ${formatElapsed(a.threshold, true)})`,
    title: `no data for ${formatElapsed(a.value)} when the alert opened; the limit is ${formatElapsed(a.threshold, true)}`,
  };
}

/**
 * `{ text, title }` for an alert's Value cell. `unitOf(metric)` gives the metric's unit ('' for
 * none). Unknown kinds fall back to `value vs threshold`.
 */
export function describeAlertValue(a, unitOf = () => '') {
  const found = typeof unitOf === 'function' ? unitOf(a?.metric) : '';
  const unit = typeof found === 'string' ? found : '';
  switch (a?.kind) {
    case 'threshold':
      return threshold(a, unit);
    case 'anomaly':
      return anomaly(a, unit);
    case 'sla':
      return sla(a);
    case 'nodata':
      return nodata(a);
    default:
      return { text: `${formatNumber(a?.value)} vs ${formatNumber(a?.threshold)}`, title: `value ${formatNumber(a?.value)}, threshold ${formatNumber(a?.threshold)}` };
  }
}
