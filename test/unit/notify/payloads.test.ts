/** Receiver payloads, signatures and back-off, as pure functions. */
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../../oncall/notify/backoff.ts';
import { contentKey, incidentLabels } from '../../../oncall/notify/labels.ts';
import { alertmanagerBody, alertmanagerGroupKey, renderBody, slackBody, webhookBody, type Notification } from '../../../oncall/notify/payloads.ts';
import { classifyStatus, requestHeaders } from '../../../oncall/notify/sender.ts';
import { signature, verifySignature } from '../../../oncall/notify/signing.ts';
import { alert, incident } from './fixtures.ts';

const inc = incident({
  alerts: [
    alert(),
    alert({ alertId: 'a2', ruleId: 'error-rate-burn-fast', fingerprint: 'checkout|error_rate|burn', kind: 'sla', severity: 'critical', message: 'burn rate 14x' }),
    alert({ alertId: 'a3', ruleId: 'anomaly', kind: 'anomaly', severity: 'low', inhibited: true }),
  ],
  severity: 'critical',
});
const n: Notification = { notificationId: 'n1', idempotencyKey: inc.eventId, kind: 'firing', receiver: 'am', routeId: 'root', incident: inc };
const opts = { dashboardUrl: 'http://vigil.example:8080/' };

describe('alertmanager payload (webhook_config v4)', () => {
  const body = alertmanagerBody(n, opts) as Record<string, any>;
  it('has every field Alertmanager receivers read', () => {
    expect(Object.keys(body).sort()).toEqual(['alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'receiver', 'status', 'truncatedAlerts', 'version'].sort());
    expect(body.version).toBe('4');
    expect(body.status).toBe('firing');
    expect(body.receiver).toBe('am');
    expect(body.groupKey).toBe('{}:{metric="error_rate", source="checkout"}');
    expect(body.groupLabels).toEqual({ source: 'checkout', metric: 'error_rate' });
    expect(body.externalURL).toBe('http://vigil.example:8080/');
  });
  it('lists the non-inhibited alerts with labels, annotations, times and a fingerprint', () => {
    expect(body.alerts).toHaveLength(2);
    const [a1, a2] = body.alerts;
    expect(Object.keys(a1).sort()).toEqual(['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status']);
    expect(a1.labels).toMatchObject({ alertname: 'error-rate-threshold', source: 'checkout', metric: 'error_rate', severity: 'high' });
    expect(a2.labels.severity).toBe('critical');
    expect(a1.startsAt).toBe('2023-11-14T22:13:20.000Z');
    expect(a1.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(a1.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a1.fingerprint).not.toBe(a2.fingerprint);
    expect(a1.generatorURL).toBe(`http://vigil.example:8080/#/incidents/${inc.incidentId}`);
    // common labels are those every alert shares
    expect(body.commonLabels).toEqual({ source: 'checkout', metric: 'error_rate' });
    expect(body.commonAnnotations).toEqual({ summary: inc.title, incident_url: a1.generatorURL });
  });
  it('a resolved incident reports resolved alerts with their end time', () => {
    const resolved = incident({ status: 'resolved', alerts: [alert({ status: 'resolved', updatedAt: 1_700_000_060_000 })] });
    const b = alertmanagerBody({ ...n, kind: 'resolved', incident: resolved }, opts) as Record<string, any>;
    expect(b.status).toBe('resolved');
    expect(b.alerts[0]).toMatchObject({ status: 'resolved', endsAt: '2023-11-14T22:14:20.000Z' });
  });
  it('tag labels are sent as Alertmanager label names (tag_<key>), in groupLabels, groupKey, alerts and commonLabels', () => {
    const byTeam = incident({
      groupKey: 'tag:team=payments',
      groupLabels: { 'tag:team': 'payments' },
      alerts: [alert({ tags: { team: 'payments', 'k8s.io/ns': 'shop' } }), alert({ alertId: 'a2', source: 'billing', tags: { team: 'payments', severity: 'info' } })],
    });
    const b = alertmanagerBody({ ...n, incident: byTeam }, opts) as Record<string, any>;
    expect(b.groupLabels).toEqual({ tag_team: 'payments' });
    expect(b.groupKey).toBe('{}:{tag_team="payments"}');
    expect(b.alerts[0].labels).toMatchObject({ tag_team: 'payments', tag_k8s_io_ns: 'shop', source: 'checkout' });
    expect(b.alerts[1].labels).toMatchObject({ tag_team: 'payments', tag_severity: 'info', severity: 'high', source: 'billing' });
    expect(b.commonLabels).toEqual({ tag_team: 'payments', alertname: 'error-rate-threshold', rule: 'error-rate-threshold', kind: 'threshold', metric: 'error_rate', severity: 'high' });
    for (const a of b.alerts) for (const name of Object.keys(a.labels)) expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
  });
  it('group keys quote hostile label values as JSON strings', () => {
    expect(alertmanagerGroupKey({ source: 'a"b}, c="d' })).toBe('{}:{source="a\\"b}, c=\\"d"}');
  });
});

describe('slack and webhook payloads', () => {
  it('slack: a text line and an attachment coloured by severity, channel when configured', () => {
    const b = slackBody(n, opts, { type: 'slack', name: 's', url: 'http://127.0.0.1/', sendResolved: true, channel: '#oncall' }) as Record<string, any>;
    expect(b.text).toBe('[FIRING] checkout error_rate (critical)');
    expect(b.channel).toBe('#oncall');
    expect(b.attachments[0].color).toBe('#b3001b');
    expect(b.attachments[0].text.split('\n')).toHaveLength(2);
    expect(b.attachments[0].title_link).toContain(inc.incidentId);
  });
  it('webhook: the whole incident, ids and labels', () => {
    const b = webhookBody(n, opts) as Record<string, any>;
    expect(b).toMatchObject({ version: 'vigil.notification.v1', notificationId: 'n1', idempotencyKey: inc.eventId, kind: 'firing', status: 'firing' });
    expect(b.incident).toEqual(inc);
    expect(b.labels).toEqual({ source: 'checkout', metric: 'error_rate', severity: 'critical' });
  });
  it('a body is identical on every render (retries resend the same bytes)', () => {
    const r = { type: 'webhook', name: 'w', url: 'http://127.0.0.1/', secret: 's'.repeat(16), sendResolved: true } as const;
    expect(renderBody(n, r, opts)).toBe(renderBody(n, r, opts));
  });
});

describe('labels and content', () => {
  it('common labels of an incident grouped by source only omit the metric when alerts differ', () => {
    const bySource = incident({ groupLabels: { source: 'checkout' }, alerts: [alert(), alert({ alertId: 'b', metric: 'cpu_usage', ruleId: 'cpu' })] });
    expect(incidentLabels(bySource)).toEqual({ source: 'checkout', kind: 'threshold', severity: 'high' });
  });
  it('the content key changes with a new alert, an escalation or a resolution, not with an acknowledgement', () => {
    const k = contentKey(inc);
    expect(contentKey({ ...inc, status: 'acknowledged', alerts: inc.alerts.map((a) => ({ ...a, status: 'acknowledged' as const })) })).toBe(k);
    expect(contentKey({ ...inc, alerts: [...inc.alerts, alert({ alertId: 'a4' })] })).not.toBe(k);
    expect(contentKey({ ...inc, alerts: inc.alerts.map((a) => (a.alertId === 'a1' ? { ...a, severity: 'critical' as const } : a)) })).not.toBe(k);
    expect(contentKey({ ...inc, status: 'resolved' })).not.toBe(k);
  });
});

describe('signatures', () => {
  const secret = 'super-secret-value-123';
  const body = '{"a":1}';
  it('verifies what it signed, within the replay window', () => {
    const sig = signature(secret, 1000, body);
    expect(sig).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifySignature({ secret, body, timestamp: '1000', signature: sig, now: 1000 + 299_000, maxAgeMs: 300_000 })).toEqual({ ok: true });
  });
  it.each([
    ['a replayed (old) request', { timestamp: '1000', now: 1000 + 301_000 }],
    ['a changed body', { body: '{"a":2}' }],
    ['a changed timestamp', { timestamp: '1001' }],
    ['another secret', { secret: 'another-secret-value-1' }],
    ['no signature', { signature: undefined }],
    ['a malformed timestamp', { timestamp: '1e3' }],
  ])('refuses %s', (_what, over) => {
    const base = { secret, body, timestamp: '1000', signature: signature(secret, 1000, body), now: 1000, maxAgeMs: 300_000 };
    expect(verifySignature({ ...base, ...over }).ok).toBe(false);
  });
  it('webhook requests carry timestamp, signature and idempotency key; others no signature', () => {
    const h = requestHeaders({ receiver: { type: 'webhook', name: 'w', url: 'http://127.0.0.1/', secret, sendResolved: true }, body, idempotencyKey: 'ev1', timeoutMs: 1000, now: 42 });
    expect(h['x-vigil-timestamp']).toBe('42');
    expect(h['x-vigil-signature']).toBe(signature(secret, 42, body));
    expect(h['idempotency-key']).toBe('ev1');
    const am = requestHeaders({ receiver: { type: 'alertmanager', name: 'a', url: 'http://127.0.0.1/', sendResolved: true, bearerToken: 'tok' }, body, idempotencyKey: 'ev1', timeoutMs: 1000, now: 42 });
    expect(am['x-vigil-signature']).toBeUndefined();
    expect(am.authorization).toBe('Bearer tok');
  });
});

describe('retry classification and back-off', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [500, 'retryable'],
    [503, 'retryable'],
    [429, 'retryable'],
    [408, 'retryable'],
    [400, 'permanent'],
    [404, 'permanent'],
    [302, 'permanent'],
  ])('HTTP %i → %s', (status, outcome) => expect(classifyStatus(status)).toBe(outcome));

  it('doubles per attempt up to the cap, jitter only shortens', () => {
    const o = { initialDelayMs: 1000, maxDelayMs: 5000, jitter: 0.5 };
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, o, () => 0))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(retryDelayMs(2, o, () => 0.999)).toBe(1001);
    expect(retryDelayMs(2, { ...o, jitter: 0 }, () => 0.9)).toBe(2000);
  });
});
