import { describe, expect, it } from 'vitest';
import type { AlertEvent, AnomalyEvent, LiveSnapshot } from '../../../schemas/records.ts';
import { applyLiveEvent, createState, recordLatest } from '../../../api/dashboard/static/lib/state.js';

const alertEvent = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  eventId: 'e',
  alertId: 'a1',
  fingerprint: 'web-1|cpu_usage|r',
  source: 'web-1',
  metric: 'cpu_usage',
  ruleId: 'r',
  kind: 'threshold',
  severity: 'high',
  status: 'firing',
  version: 1,
  timestamp: 1000,
  openedAt: 1000,
  value: 91,
  threshold: 90,
  message: 'hot',
  actor: 'pipeline',
  reason: 'breach',
  tags: {},
  ...over,
});

const snapshot = (over: Partial<LiveSnapshot> = {}): LiveSnapshot => ({
  source: 'web-1',
  metric: 'cpu_usage',
  timestamp: 1000,
  value: 40,
  mean: 41,
  std: 2,
  zscore: -0.5,
  anomalyScore: 0.1,
  ...over,
});

describe('applyLiveEvent', () => {
  it('merges alert events by version and settles a pending command on a newer version', () => {
    const state = createState();
    expect(applyLiveEvent(state, 'alerts', alertEvent())).toBe('alerts');
    state.pending.set('a1', { action: 'acknowledge', version: 1, since: 0 });
    expect(applyLiveEvent(state, 'alerts', alertEvent())).toBeNull(); // replayed duplicate
    expect(state.pending.has('a1')).toBe(true);
    expect(applyLiveEvent(state, 'alerts', alertEvent({ version: 2, status: 'acknowledged', timestamp: 2000, actor: 'ops' }))).toBe('alerts');
    expect(state.pending.has('a1')).toBe(false);
    expect(state.alerts.get('a1')).toMatchObject({ status: 'acknowledged', updatedAt: 2000, actor: 'ops' });
  });

  it('feeds live snapshots into the chart ring and the latest-value map', () => {
    const state = createState();
    expect(applyLiveEvent(state, 'live', snapshot())).toBe('live');
    expect(applyLiveEvent(state, 'live', snapshot({ timestamp: 2000, value: 44 }))).toBe('live');
    expect(applyLiveEvent(state, 'live', snapshot({ timestamp: 1500, value: 99 }))).toBeNull(); // late replay
    expect(state.rings.get('web-1/cpu_usage')?.toColumns()).toEqual([
      [1000, 2000],
      [40, 44],
      [41, 41],
    ]);
    expect(state.latest.get('web-1/cpu_usage')?.value).toBe(44);
  });

  it('keeps anomalies by id and version', () => {
    const state = createState();
    const a: AnomalyEvent = {
      id: 'n1',
      source: 's',
      metric: 'm',
      type: 'spike',
      version: 1,
      startTimestamp: 1,
      detectedTimestamp: 2,
      value: 9,
      expected: 1,
      zscore: 8,
      score: 0.9,
      confidence: 0.7,
      pointCount: 2,
    };
    expect(applyLiveEvent(state, 'anomalies', a)).toBe('anomalies');
    expect(applyLiveEvent(state, 'anomalies', { ...a, version: 2, type: 'pattern_change' })).toBe('anomalies');
    expect(state.anomalies.get('n1')?.type).toBe('pattern_change');
  });

  it('rejects malformed and unknown frames without touching state', () => {
    const state = createState();
    const hostile = [
      ['alerts', { alertId: 'x', version: 1, status: 'firing', severity: 'sev"><script>' }],
      ['alerts', null],
      ['live', { source: 's', metric: 'm', timestamp: 'soon', value: 1 }],
      ['anomalies', { id: 5, version: 1 }],
      ['__proto__', {}],
      ['sla', {}],
    ] as const;
    for (const [channel, data] of hostile) expect(applyLiveEvent(state, channel, data)).toBeNull();
    expect(state.received.rejected).toBe(hostile.length);
    expect(state.alerts.size + state.anomalies.size + state.latest.size).toBe(0);
  });
});

describe('recordLatest', () => {
  it('keeps the newer of a REST value and a live value', () => {
    const state = createState();
    expect(recordLatest(state, snapshot({ timestamp: 5000, value: 1 }))).toBe(true);
    expect(recordLatest(state, snapshot({ timestamp: 4000, value: 2 }))).toBe(false);
    expect(state.latest.get('web-1/cpu_usage')?.value).toBe(1);
  });
});
