import { describe, expect, it } from 'vitest';
import { RECEIVER_NAME as SERVER_NAME } from '../../../core/notify-config.ts';
import { receiverFromBody, redactReceiver } from '../../../api/routes/receivers.ts';
import { receiverPutBody, type ReceiverOut } from '../../../schemas/http/receivers.ts';
import { describeRefusal, ApiError } from '../../../api/dashboard/static/lib/api-client.js';
import {
  RECEIVER_NAME,
  RECEIVER_TYPES,
  TYPE_FIELDS,
  describeReceiver,
  formFromReceiver,
  receiverActions,
  receiverBody,
  sortReceivers,
} from '../../../api/dashboard/static/lib/receivers.js';

const SECRET = 'a-signing-secret-0123456789';
const base = { name: 'oncall-hook', type: 'webhook', url: 'https://hooks.example.com/vigil', secret: SECRET, sendResolved: true };

/** The PUT body's properties per type, as the OpenAPI document and ajv know them. */
const branchProps = (type: string) => {
  const branch = receiverPutBody.oneOf.find((b) => b.properties.type.enum[0] === type)!;
  return Object.keys(branch.properties);
};

const built = (fields: Parameters<typeof receiverBody>[0], current?: Parameters<typeof receiverBody>[1]) => {
  const r = receiverBody(fields, current);
  if (r.error !== undefined) throw new Error(r.error);
  return r;
};

describe('dashboard receivers helpers', () => {
  it('mirror the server contract (types, name pattern, fields each PUT branch accepts)', () => {
    expect(RECEIVER_TYPES).toEqual(receiverPutBody.oneOf.map((b) => b.properties.type.enum[0]));
    expect(RECEIVER_NAME.source).toBe(SERVER_NAME.source);
    for (const type of RECEIVER_TYPES) {
      for (const field of TYPE_FIELDS[type]) expect(branchProps(type)).toContain(field);
    }
  });

  it('builds bodies the server accepts for each type, with only that type\'s fields', () => {
    const cases = [
      { ...base, bearerToken: 'stray', channel: '#stray' },
      { name: 'team-slack', type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/X', channel: '#oncall', username: 'vigil', secret: 'stray', sendResolved: false },
      { name: 'am', type: 'alertmanager', url: 'http://127.0.0.1:9093/hook', bearerToken: 'tok', timeoutMs: '2500', sendResolved: true },
    ];
    for (const fields of cases) {
      const { name, body } = built(fields);
      expect(Object.keys(body).every((k) => branchProps(fields.type).includes(k))).toBe(true);
      const server = receiverFromBody(name, body, undefined);
      expect(server.ok).toBe(true);
    }
    expect(built(cases[1]).body).toEqual({ type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/X', channel: '#oncall', username: 'vigil', sendResolved: false });
    expect(built(cases[2]).body.timeoutMs).toBe(2500);
  });

  it('refuses in the browser only what it can tell is missing; the API judges URLs and ranges', () => {
    expect(receiverBody({ ...base, name: '' }).error).toMatch(/name/);
    expect(receiverBody({ ...base, name: '../etc' }).error).toMatch(/letters, digits/);
    expect(receiverBody({ ...base, name: 'x'.repeat(65) }).error).toMatch(/max 64/);
    expect(receiverBody({ ...base, type: 'pagerduty' }).error).toMatch(/type/);
    expect(receiverBody({ ...base, url: '  ' }).error).toMatch(/URL/);
    expect(receiverBody({ ...base, secret: '' }).error).toMatch(/secret/);
    expect(receiverBody({ ...base, timeoutMs: '1.5' }).error).toMatch(/whole number/);
    expect(receiverBody({ ...base, type: 'slack', url: '' }).error).toMatch(/Slack/);
    // A bad URL or a short secret goes to the API, whose 400 is shown as is.
    const badUrl = built({ ...base, url: 'ftp://hooks.example.com' });
    const refused = receiverFromBody(badUrl.name, badUrl.body, undefined);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.errors[0]).toMatch(/url: must be an http/);
  });

  it('editing keeps secrets the API never shows: left empty with the same type and name', () => {
    const current = { name: 'oncall-hook', type: 'webhook' as const, url: base.url, secret: SECRET, sendResolved: true };
    const listed = redactReceiver({ receiver: current, source: 'api' });
    const form = formFromReceiver(listed);
    expect(form.secret).toBe('');
    const { name, body } = built(form, listed);
    expect(body).not.toHaveProperty('secret');
    const merged = receiverFromBody(name, body, current);
    expect(merged.ok && merged.receiver).toMatchObject({ secret: SECRET, url: base.url });
    // A different type or a new name is a new receiver: a secret is needed again.
    expect(receiverBody({ ...form, name: 'other' }, listed).error).toMatch(/secret/);
    // Slack: the listed URL is redacted, so the form leaves it empty and the server keeps it.
    const slack = { name: 's', type: 'slack' as const, url: 'https://hooks.slack.com/services/T/B/SECRET', sendResolved: true, channel: '#a' };
    const slackListed = redactReceiver({ receiver: slack, source: 'config' });
    expect(slackListed.url).not.toContain('SECRET');
    const slackForm = formFromReceiver(slackListed);
    expect(slackForm.url).toBe('');
    const again = built(slackForm, slackListed);
    const slackMerged = receiverFromBody('s', again.body, slack);
    expect(slackMerged.ok && slackMerged.receiver.url).toBe(slack.url);
  });

  it('offers delete only for receivers added through the API', () => {
    const r = (source: 'api' | 'config'): ReceiverOut => ({ name: 'n', type: 'webhook', url: 'https://x', sendResolved: true, source });
    expect(receiverActions(r('api'))).toEqual(['edit', 'delete']);
    expect(receiverActions(r('config'))).toEqual(['edit']);
    expect(receiverActions({ ...r('api'), type: 'pagerduty' as 'webhook' })).toEqual([]);
    expect(receiverActions(null)).toEqual([]);
  });

  it('describes a receiver without any secret, and sorts by name', () => {
    expect(describeReceiver({ type: 'webhook', hasSecret: true, timeoutMs: 2000 })).toBe('signed (HMAC-SHA256) · timeout 2000 ms');
    expect(describeReceiver({ type: 'slack', channel: '#ops', username: 'vigil' })).toBe('#ops · as vigil');
    expect(describeReceiver({ type: 'alertmanager', hasBearerToken: true })).toBe('bearer token');
    expect(describeReceiver({ type: 'alertmanager' })).toBe('');
    expect(sortReceivers([{ name: 'b' }, { name: 'a' }, null as unknown as { name: string }]).map((x) => x.name)).toEqual(['a', 'b']);
  });

  it('turns an API 400 into one line with the other fields\' details', () => {
    const err = new ApiError(400, 'invalid receiver: url: must be an http:// or https:// URL', {
      details: [{ message: 'must be an http:// or https:// URL' }, { message: 'secret too short' }],
    });
    expect(describeRefusal(err)).toBe('invalid receiver: url: must be an http:// or https:// URL · secret too short');
    expect(describeRefusal(new ApiError(400, 'bad', null))).toBe('bad');
  });
});
