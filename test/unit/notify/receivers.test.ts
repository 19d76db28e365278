/** Receiver records, the config/API overlay, redaction and PUT merging, with hostile input. */
import { describe, expect, it } from 'vitest';
import { redactReceiver, receiverFromBody } from '../../../api/routes/receivers.ts';
import type { ReceiverConfig } from '../../../core/notify-config.ts';
import { ReceiverDirectory, parseReceiverRecord } from '../../../oncall/notify/receiver-store.ts';
import { silenceLookup } from '../../../oncall/notify/silencing.ts';
import { SilenceSet } from '../../../oncall/silences/index.ts';
import { alert, incident } from './fixtures.ts';

const hook: ReceiverConfig = { type: 'webhook', name: 'hook', url: 'http://127.0.0.1:1/hook', secret: 's'.repeat(20), sendResolved: true };
const slack: ReceiverConfig = { type: 'slack', name: 'chat', url: 'https://hooks.slack.com/services/T0/B0/SECRET', sendResolved: true };

describe('receiver records', () => {
  it('parses a valid record and a tombstone', () => {
    expect(parseReceiverRecord('hook', Buffer.from(JSON.stringify(hook)))).toEqual({ ok: true, name: 'hook', receiver: hook });
    expect(parseReceiverRecord('hook', null)).toEqual({ ok: true, name: 'hook', receiver: null });
  });
  it.each([
    ['a bad key', '../x', JSON.stringify(hook)],
    ['not JSON', 'hook', '{'],
    ['a name that differs from the key', 'other', JSON.stringify(hook)],
    ['an unknown field', 'hook', JSON.stringify({ ...hook, shell: 'rm -rf /' })],
    ['a short secret', 'hook', JSON.stringify({ ...hook, secret: 'x' })],
    ['a huge value', 'hook', JSON.stringify({ ...hook, secret: 'x'.repeat(20_000) })],
  ])('refuses %s with a reason', (_what, key, value) => {
    const r = parseReceiverRecord(key, Buffer.from(value));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(5);
  });
  it('API receivers override configured ones by name; removing brings the configured one back', () => {
    const d = new ReceiverDirectory([hook]);
    d.apply('hook', { ...hook, url: 'http://127.0.0.1:2/new' });
    d.apply('chat', slack);
    expect(d.list().map((e) => [e.receiver.name, e.source])).toEqual([
      ['chat', 'api'],
      ['hook', 'api'],
    ]);
    d.apply('hook', null);
    expect(d.get('hook')).toEqual({ receiver: hook, source: 'config' });
    expect(d.isConfigured('chat')).toBe(false);
  });
});

describe('redaction and PUT merging', () => {
  it('never shows a secret, a bearer token or a Slack path', () => {
    const out = JSON.stringify([
      redactReceiver({ receiver: hook, source: 'config' }),
      redactReceiver({ receiver: slack, source: 'api' }),
      redactReceiver({ receiver: { type: 'alertmanager', name: 'am', url: 'http://127.0.0.1:3/', sendResolved: true, bearerToken: 'TOKEN-123' }, source: 'api' }),
    ]);
    expect(out).not.toContain('s'.repeat(20));
    expect(out).not.toContain('SECRET');
    expect(out).not.toContain('TOKEN-123');
    expect(out).toContain('"url":"https://hooks.slack.com/…"');
  });
  it('keeps the secret and Slack URL when an update of the same type leaves them out; not across types', () => {
    expect(receiverFromBody('hook', { type: 'webhook', url: 'http://127.0.0.1:9/', sendResolved: false }, hook)).toEqual({ ok: true, receiver: { ...hook, url: 'http://127.0.0.1:9/', sendResolved: false } });
    expect(receiverFromBody('chat', { type: 'slack', channel: '#x' }, slack)).toEqual({ ok: true, receiver: { ...slack, channel: '#x' } });
    const crossType = receiverFromBody('hook', { type: 'slack' }, hook);
    expect(crossType.ok).toBe(false);
    expect(receiverFromBody('hook', { type: 'webhook', name: 'other', url: 'http://127.0.0.1:9/', secret: 's'.repeat(16) }, undefined).ok).toBe(false);
  });
});

describe('silence lookup', () => {
  const now = Date.UTC(2026, 0, 1);
  const set = new SilenceSet();
  const added = set.add({ id: 's1', matchers: [{ name: 'alertname', op: '=', value: 'error-rate-threshold' }], startsAt: now - 1000, endsAt: now + 60_000, createdBy: 't', comment: 'maintenance', schedule: null, version: 1, updatedAt: now, updatedBy: 't' });
  if (!added.ok) throw new Error(added.errors.join('; '));
  const lookup = silenceLookup(set);
  it('silenced when every alert it would notify about is muted; inhibited alerts do not count', () => {
    expect(lookup(incident(), now)).toEqual(['s1']);
    expect(lookup(incident({ alerts: [alert(), alert({ alertId: 'b', ruleId: 'other', inhibited: true })] }), now)).toEqual(['s1']);
  });
  it('a silence on tag:<key> mutes the alerts carrying that tag, whatever the grouping', () => {
    const tagSet = new SilenceSet();
    const ok = tagSet.add({ id: 's-tag', matchers: [{ name: 'tag:team', op: '=~', value: 'pay.*' }], startsAt: now - 1000, endsAt: now + 60_000, createdBy: 't', comment: 'payments deploy', schedule: null, version: 1, updatedAt: now, updatedBy: 't' });
    if (!ok.ok) throw new Error(ok.errors.join('; '));
    const byTag = silenceLookup(tagSet);
    expect(byTag(incident({ alerts: [alert({ tags: { team: 'payments' } }), alert({ alertId: 'b', source: 'billing', tags: { team: 'payroll' } })] }), now)).toEqual(['s-tag']);
    expect(byTag(incident({ alerts: [alert({ tags: { team: 'payments' } }), alert({ alertId: 'b', tags: { team: 'ops' } })] }), now)).toEqual([]);
    expect(byTag(incident({ alerts: [alert()] }), now)).toEqual([]); // no tag: "" does not match pay.*
  });
  it('not silenced while one open alert is not muted, or after the silence ends', () => {
    expect(lookup(incident({ alerts: [alert(), alert({ alertId: 'b', ruleId: 'other' })] }), now)).toEqual([]);
    expect(lookup(incident(), now + 120_000)).toEqual([]);
  });
});
