import { describe, expect, it } from 'vitest';
import { ConnectionCounter, HandshakeLimiter, TOKEN_PROTOCOL_PREFIX, checkOrigin, tokenProtocol, upgradeCredentials } from '../../../gateway/admission.ts';

describe('HandshakeLimiter', () => {
  it('allows a burst, then refuses with the seconds to wait, then refills at the rate', () => {
    const limiter = new HandshakeLimiter({ perSecond: 2, burst: 3 });
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => limiter.take('a', t0))).toEqual([0, 0, 0]);
    expect(limiter.take('a', t0)).toBe(1); // half a second for one token at 2/s, rounded up to whole seconds
    // Another address has its own bucket.
    expect(limiter.take('b', t0)).toBe(0);
    // 500 ms later one token is back, not two.
    expect(limiter.take('a', t0 + 500)).toBe(0);
    expect(limiter.take('a', t0 + 500)).toBeGreaterThan(0);
    // Refused attempts do not dig a hole: after a full refill period the burst is whole again.
    for (let i = 0; i < 100; i++) limiter.take('a', t0 + 600);
    const later = t0 + 600 + 1500;
    expect([1, 2, 3].map(() => limiter.take('a', later))).toEqual([0, 0, 0]);
    expect(limiter.take('a', later)).toBeGreaterThan(0);
  });

  it('a slow rate tells the client to wait several seconds', () => {
    const limiter = new HandshakeLimiter({ perSecond: 0.1, burst: 1 });
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBe(10);
    expect(limiter.take('a', 5000)).toBe(5);
  });

  it('stays bounded under a flood of fresh addresses: full buckets are swept, beyond that new addresses wait', () => {
    const limiter = new HandshakeLimiter({ perSecond: 1, burst: 2 }, 10);
    for (let i = 0; i < 10; i++) expect(limiter.take(`10.0.0.${i}`, 0)).toBe(0);
    expect(limiter.tracked).toBe(10);
    // All ten are half empty: nothing to sweep, the eleventh address is refused, not tracked.
    expect(limiter.take('10.0.1.1', 0)).toBeGreaterThan(0);
    expect(limiter.tracked).toBe(10);
    // Once they have refilled they are swept and new addresses are served.
    expect(limiter.take('10.0.1.1', 2000)).toBe(0);
    expect(limiter.tracked).toBe(1);
  });
});

describe('ConnectionCounter', () => {
  it('admits up to the limit per address and forgets addresses at zero', () => {
    const c = new ConnectionCounter(2);
    c.add('a');
    expect(c.admits('a')).toBe(true);
    c.add('a');
    expect(c.admits('a')).toBe(false);
    expect(c.admits('b')).toBe(true);
    c.remove('a');
    expect(c.admits('a')).toBe(true);
    c.remove('a');
    expect(c.tracked).toBe(0);
    c.remove('a'); // a stray close never goes negative
    expect(c.tracked).toBe(0);
    c.add('a');
    c.add('a');
    expect(c.admits('a')).toBe(false);
  });
});

describe('checkOrigin', () => {
  it('default: no Origin (not a browser) or an Origin on the host name the gateway was reached under', () => {
    expect(checkOrigin('', '127.0.0.1:8090', [])).toEqual({ ok: true });
    expect(checkOrigin('http://127.0.0.1:8080', '127.0.0.1:8090', [])).toEqual({ ok: true });
    expect(checkOrigin('https://Vigil.Example.com', 'vigil.example.com:8090', [])).toEqual({ ok: true });
    expect(checkOrigin('http://[::1]:8080', '[::1]:8090', [])).toEqual({ ok: true });
    expect(checkOrigin('http://localhost:8080', 'localhost', [])).toEqual({ ok: true });
  });

  it('default: refuses other hosts, look-alikes and non-origins, saying what to configure', () => {
    const cases = [
      ['https://evil.example', '127.0.0.1:8090'],
      ['http://127.0.0.1.evil.example:8080', '127.0.0.1:8090'],
      ['http://vigil.example.com.evil:1', 'vigil.example.com:8090'],
      ['null', '127.0.0.1:8090'],
      ['file://', '127.0.0.1:8090'],
      ['chrome-extension://abc', 'abc'],
      ['http://127.0.0.1:8080', ''],
      ['not a url', '127.0.0.1:8090'],
    ];
    for (const [origin, host] of cases) {
      const v = checkOrigin(origin, host, []);
      expect(v.ok, `${origin} via ${host}`).toBe(false);
      if (!v.ok) expect(v.reason).toContain(JSON.stringify(origin));
    }
    const v = checkOrigin('https://evil.example', '127.0.0.1:8090', []);
    expect(v.ok === false && v.reason).toMatch(/gateway\.allowedOrigins/);
  });

  it('a configured list is exact; * allows any', () => {
    const allowed = ['https://ops.example.com'];
    expect(checkOrigin('https://ops.example.com', 'gw.example.com', allowed)).toEqual({ ok: true });
    expect(checkOrigin('https://ops.example.com:444', 'gw.example.com', allowed).ok).toBe(false);
    expect(checkOrigin('http://ops.example.com', 'gw.example.com', allowed).ok).toBe(false);
    // With a list, the same-host default no longer applies.
    expect(checkOrigin('http://gw.example.com', 'gw.example.com', allowed).ok).toBe(false);
    expect(checkOrigin('', 'gw.example.com', allowed)).toEqual({ ok: true });
    expect(checkOrigin('https://anything.example', 'gw', ['*'])).toEqual({ ok: true });
  });

  it('a hostile Origin is quoted shortened in the reason', () => {
    const v = checkOrigin(`http://${'a'.repeat(5000)}\n`, 'gw', []);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason.length).toBeLessThan(400);
  });
});

describe('upgradeCredentials', () => {
  const token = 'gateway-token-éü-0123456789';

  it('reads the token from Authorization, then the sub-protocol, then one ?token=', () => {
    expect(upgradeCredentials('Bearer abc', '', [])).toEqual({ ok: true, token: 'abc', source: 'header', protocol: '' });
    expect(upgradeCredentials('', `vigil, ${tokenProtocol(token)}`, [])).toEqual({ ok: true, token, source: 'protocol', protocol: 'vigil' });
    expect(upgradeCredentials('', `${tokenProtocol(token)},vigil`, ['q'])).toEqual({ ok: true, token, source: 'protocol', protocol: 'vigil' });
    expect(upgradeCredentials('bearer  h ', `vigil, ${tokenProtocol(token)}`, ['q'])).toMatchObject({ token: 'h', source: 'header', protocol: 'vigil' });
    expect(upgradeCredentials('', '', ['q'])).toEqual({ ok: true, token: 'q', source: 'query', protocol: '' });
    expect(upgradeCredentials('', 'vigil', [])).toEqual({ ok: true, token: null, source: 'none', protocol: 'vigil' });
    // Two ?token= are ambiguous: no token (so 401 when tokens are configured).
    expect(upgradeCredentials('', '', ['a', 'b'])).toMatchObject({ ok: true, token: null });
    // Another sub-protocol alone is not answered with one we do not speak.
    expect(upgradeCredentials('', 'graphql-ws', [])).toMatchObject({ ok: true, protocol: '' });
    expect(upgradeCredentials('Basic dXNlcjpwdw==', '', [])).toMatchObject({ ok: true, token: null });
  });

  it('the sub-protocol value is base64url without padding, within token characters', () => {
    const p = tokenProtocol('a?b/c+d=e,f g');
    expect(p.startsWith(TOKEN_PROTOCOL_PREFIX)).toBe(true);
    expect(p).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(upgradeCredentials('', `vigil, ${p}`, [])).toMatchObject({ token: 'a?b/c+d=e,f g' });
  });

  it('refuses malformed token sub-protocols with a reason', () => {
    const refused = [
      tokenProtocol(token), // without "vigil": a browser would fail on our answer
      `vigil, ${tokenProtocol('a')}, ${tokenProtocol('b')}`,
      `vigil, ${TOKEN_PROTOCOL_PREFIX}`,
      `vigil, ${TOKEN_PROTOCOL_PREFIX}abc=`,
      `vigil, ${TOKEN_PROTOCOL_PREFIX}ab+c`,
      `vigil, ${TOKEN_PROTOCOL_PREFIX}_w`, // decodes to a byte that is not UTF-8
      `vigil, ${TOKEN_PROTOCOL_PREFIX}QQ==`,
    ];
    for (const header of refused) {
      const c = upgradeCredentials('', header, []);
      expect(c.ok, header).toBe(false);
      if (!c.ok) expect(c.reason.length).toBeGreaterThan(10);
    }
  });
});
