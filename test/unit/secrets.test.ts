/** core/secrets.ts and the config fields that use it: digests, plain keys, hostile values. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { configuredDigest, digestForm, isDigestForm, secretMatcher } from '../../core/secrets.ts';

const PLAIN = 'a-development-key-0123456789';
const hex = createHash('sha256').update(PLAIN).digest('hex');

function refusal(overrides: Record<string, unknown>): string {
  try {
    loadConfig({ env: {}, overrides });
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('digest form', () => {
  it('is sha256: and the 64 hex digits sha256sum prints', () => {
    expect(digestForm(PLAIN)).toBe(`sha256:${hex}`);
    expect(isDigestForm(`sha256:${hex}`)).toBe(true);
    expect(isDigestForm(`sha256:${hex.toUpperCase()}`)).toBe(true);
    for (const bad of [`sha256:${hex.slice(1)}`, `sha256:${hex}0`, `sha256:${'g'.repeat(64)}`, `SHA256:${hex}`, `sha256: ${hex}`, hex]) expect(isDigestForm(bad), bad).toBe(false);
    expect(configuredDigest(`sha256:${hex.toUpperCase()}`).equals(configuredDigest(PLAIN))).toBe(true);
  });
});

describe('secretMatcher', () => {
  const m = secretMatcher([
    { secret: PLAIN, value: 'plain' },
    { secret: `sha256:${createHash('sha256').update('other-key-for-digest-0123').digest('hex')}`, value: 'hashed' },
  ]);
  it('matches the plain secret of either form', () => {
    expect(m.enabled).toBe(true);
    expect(m.match(PLAIN)).toBe('plain');
    expect(m.match('other-key-for-digest-0123')).toBe('hashed');
  });
  it('refuses near misses, the digest itself, empty and huge input', () => {
    for (const bad of ['', PLAIN.slice(0, -1), `${PLAIN}x`, PLAIN.toUpperCase(), digestForm(PLAIN), hex, 'x'.repeat(1_000_000), '\u0000', '\ud800']) {
      expect(m.match(bad)).toBeUndefined();
    }
  });
  it('with nothing configured is disabled and matches nothing', () => {
    const none = secretMatcher<string>([]);
    expect(none.enabled).toBe(false);
    expect(none.match(PLAIN)).toBeUndefined();
  });
});

describe('config: api.apiKeys[].key and gateway.tokens', () => {
  it('accept plain (≥16) and sha256: digests', () => {
    const c = loadConfig({ env: {}, overrides: { api: { apiKeys: [{ key: PLAIN, roles: ['read'] }, { key: digestForm('x'.repeat(16)), roles: ['metrics'] }] }, gateway: { tokens: [digestForm(PLAIN)] } } });
    expect(c.api.apiKeys.map((k) => k.key)).toEqual([PLAIN, digestForm('x'.repeat(16))]);
    expect(c.gateway.tokens).toEqual([digestForm(PLAIN)]);
    expect(loadConfig({ env: { VIGIL_GATEWAY_TOKENS: `${digestForm(PLAIN)},${'t'.repeat(16)}` } }).gateway.tokens).toHaveLength(2);
  });
  it.each([
    ['a short plain key', { api: { apiKeys: [{ key: 'short', roles: ['read'] }] } }, /api\.apiKeys\.0\.key: API keys must be at least 16/],
    ['a broken digest', { api: { apiKeys: [{ key: `sha256:${hex.slice(2)}`, roles: ['read'] }] } }, /api\.apiKeys\.0\.key: .*sha256: and 64 hex/],
    ['a digest with junk', { api: { apiKeys: [{ key: `sha256:${hex}\n`, roles: ['read'] }] } }, /api\.apiKeys\.0\.key/],
    ['a non-string key', { api: { apiKeys: [{ key: 12345678901234567, roles: ['read'] }] } }, /api\.apiKeys\.0\.key/],
    ['an unknown role', { api: { apiKeys: [{ key: PLAIN, roles: ['admin'] }] } }, /api\.apiKeys\.0\.roles\.0/],
    ['one key twice (plain and digest)', { api: { apiKeys: [{ key: PLAIN, roles: ['read'] }, { key: digestForm(PLAIN), roles: ['operate'] }] } }, /api\.apiKeys\.1: API key 1 repeats/],
    ['a short token', { gateway: { tokens: ['short'] } }, /gateway\.tokens\.0: gateway tokens must be at least 16/],
    ['a broken token digest', { gateway: { tokens: ['sha256:xyz'] } }, /gateway\.tokens\.0/],
    ['one token twice', { gateway: { tokens: [digestForm(PLAIN), digestForm(PLAIN).toUpperCase().replace('SHA256', 'sha256')] } }, /gateway\.tokens\.1: gateway token 1 repeats/],
  ])('refuse %s, naming the field', (_name, overrides, message) => {
    expect(refusal(overrides)).toMatch(message);
  });
});
