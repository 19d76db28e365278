/** core/logger.ts: secret fields are redacted wherever they sit, known secret values anywhere. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { createLogger, redactValues, scrubLine, urlOrigin } from '../../../core/logger.ts';
import { configSecrets, digestForm } from '../../../core/secrets.ts';

function capture() {
  const lines: string[] = [];
  const logger = createLogger('debug', { test: 'redaction' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines, text: () => lines.join('') };
}

describe('redaction by field', () => {
  it('hides keys, tokens, passwords, secrets and auth headers one and two levels down', () => {
    const { logger, lines } = capture();
    logger.info({ password: 'pw-top-level-1', token: 'tok-top-level-1' }, 'a');
    logger.info({ config: { apiKeys: [{ key: 'api-key-nested-000000', roles: ['read'] }], secret: 'hmac-secret-nested-1' } }, 'b');
    logger.info({ req: { method: 'GET', url: '/api/v1/alerts', headers: { authorization: 'Bearer presented-key-0001', 'x-api-key': 'presented-key-0002', 'sec-websocket-protocol': 'vigil.token.abc' } } }, 'c');
    logger.info({ clickhouse: { readerPassword: 'reader-pw-000000' }, receiver: { bearerToken: 'bearer-token-00001' } }, 'd');
    const text = lines.join('');
    for (const secret of ['pw-top-level-1', 'tok-top-level-1', 'api-key-nested-000000', 'hmac-secret-nested-1', 'presented-key-0001', 'presented-key-0002', 'vigil.token.abc', 'reader-pw-000000', 'bearer-token-00001']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(lines[2]).req).toMatchObject({ method: 'GET', url: '/api/v1/alerts', headers: { authorization: '[Redacted]' } });
  });

  it('logs URLs by their origin only', () => {
    const { logger, lines } = capture();
    logger.info({ url: 'https://hooks.slack.com/services/T000/B000/XXXXSECRET' }, 'slack');
    logger.info({ receiver: { url: 'http://user:pa55word@127.0.0.1:9093/' } }, 'am');
    logger.info({ url: 'http://127.0.0.1:8080' }, 'listening');
    expect(JSON.parse(lines[0]).url).toBe('https://hooks.slack.com/…');
    expect(lines[1]).not.toContain('pa55word');
    expect(JSON.parse(lines[2]).url).toBe('http://127.0.0.1:8080');
    for (const hostile of ['not a url', 'javascript:alert(1)', '', 42, { toString: () => 'x' }]) expect(JSON.stringify(urlOrigin(hostile))).not.toMatch(/alert\(1\)|"x"/);
  });
});

describe('redaction by value', () => {
  it('scrubs every configured plain secret wherever it appears, even inside messages and errors', () => {
    const config = loadConfig({
      env: {},
      overrides: {
        api: { apiKeys: [{ key: 'scrub-api-key-0123456789', roles: ['read'] }, { key: digestForm('digest-only-key-0123456789'), roles: ['read'] }] },
        gateway: { tokens: ['scrub-gateway-token-0123'] },
        clickhouse: { password: 'scrub-ch-password' },
        notify: { receivers: [{ type: 'slack', name: 's', url: 'https://hooks.slack.com/services/SCRUB/ME/PLEASE' }, { type: 'webhook', name: 'w', url: 'http://127.0.0.1:1/hook', secret: 'scrub-"webhook"\\secret' }] },
      },
    });
    const secrets = configSecrets(config);
    expect(secrets).toEqual(expect.arrayContaining(['scrub-api-key-0123456789', 'scrub-gateway-token-0123', 'scrub-ch-password', 'https://hooks.slack.com/services/SCRUB/ME/PLEASE', 'scrub-"webhook"\\secret']));
    // Not secrets: the digest form, the local stack's reader password (equal to its user name), short values.
    expect(secrets.join(' ')).not.toContain('sha256:');
    expect(secrets).not.toContain('vigil_reader');
    redactValues(secrets);
    const { logger, text } = capture();
    logger.warn(`connecting with scrub-ch-password to ${'https://hooks.slack.com/services/SCRUB/ME/PLEASE'}`);
    logger.error({ err: new Error('bad key scrub-api-key-0123456789') }, 'failed');
    logger.info({ unusual: { deep: { deeper: ['scrub-gateway-token-0123'] } }, odd: 'scrub-"webhook"\\secret' }, 'x');
    for (const s of secrets) expect(text()).not.toContain(JSON.stringify(s).slice(1, -1));
    expect(text()).toContain('[Redacted]');
    expect(scrubLine('nothing secret here')).toBe('nothing secret here');
  });

  it('ignores values too short to scrub safely', () => {
    redactValues(['short', '', null, undefined]);
    expect(scrubLine('a short line')).toBe('a short line');
  });
});
