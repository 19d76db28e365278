/**
 * pipeline/kafka/client.ts's security translation and refusal classification, without a broker
 * (the real SASL_SSL broker is test/integration/kafka-security.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaSecurityError, kafkaSecurityOptions, type KafkaEndpoint } from '../../pipeline/kafka/client.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-kafka-sec-'));
const pem = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ca = pem('ca.pem', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
const cert = pem('cert.pem', '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
const key = pem('key.pem', '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');

const secured: KafkaEndpoint = {
  brokers: ['kafka-1:9094'],
  sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'pa55-word-never-shown' },
  ssl: { ca, cert, key, rejectUnauthorized: true },
};

describe('kafkaSecurityOptions', () => {
  it('nothing configured: no ssl, no sasl (plaintext)', () => {
    expect(kafkaSecurityOptions({ sasl: null, ssl: null })).toEqual({});
  });

  it('reads the PEM files into kafkajs ssl options and passes the SCRAM login', () => {
    const o = kafkaSecurityOptions(secured);
    expect(o.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'app', password: 'pa55-word-never-shown' });
    const ssl = o.ssl as { ca: Buffer[]; cert: Buffer; key: Buffer; rejectUnauthorized: boolean };
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.ca.map(String)).toEqual([expect.stringContaining('CA')]);
    expect(String(ssl.cert)).toContain('CLIENT');
    expect(String(ssl.key)).toContain('KEY');
  });

  it('ssl {} = TLS with the system CAs', () => {
    expect(kafkaSecurityOptions({ sasl: null, ssl: { ca: null, cert: null, key: null, rejectUnauthorized: true } })).toEqual({ ssl: { rejectUnauthorized: true } });
  });
});

describe('kafkaSecurityError', () => {
  const saslFailure = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials'), {
    name: 'KafkaJSSASLAuthenticationError',
  });
  const tlsUntrusted = Object.assign(new Error('Connection error: self-signed certificate in certificate chain'), { name: 'KafkaJSConnectionError', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  const wrongHost = Object.assign(new Error("Connection error: Hostname/IP does not match certificate's altnames: IP: 10.0.0.9 is not in the cert's list"), {
    name: 'KafkaJSConnectionError',
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
  });
  const badClientCert = Object.assign(new Error('Connection error: ...:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:...SSL alert number 42'), {
    name: 'KafkaJSConnectionError',
    code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  });

  it('a refused SASL login, also when wrapped (retries exceeded, a VigilError cause)', () => {
    for (const err of [saslFailure, Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: saslFailure })]) {
      const e = kafkaSecurityError(err, secured);
      expect(e?.code).toBe('kafka-sasl-refused');
      expect(e?.message).toMatch(/^Kafka at kafka-1:9094 refused the SASL login of user app \(SCRAM-SHA-512\)/);
      expect(e?.message).not.toContain('pa55-word-never-shown');
      expect(e?.cause).toBe(err);
    }
  });

  it('an untrusted certificate names the CA file; a host name mismatch too', () => {
    expect(kafkaSecurityError(tlsUntrusted, secured)).toMatchObject({ code: 'kafka-tls-untrusted', message: expect.stringContaining(ca) });
    expect(kafkaSecurityError(tlsUntrusted, { ...secured, ssl: { ...secured.ssl!, ca: null } })?.message).toMatch(/set kafka\.ssl\.ca/);
    expect(kafkaSecurityError(wrongHost, secured)?.code).toBe('kafka-tls-untrusted');
  });

  it('a refused client certificate says which one, or to configure one', () => {
    expect(kafkaSecurityError(badClientCert, secured)?.message).toContain(cert);
    expect(kafkaSecurityError(badClientCert, { ...secured, ssl: { ...secured.ssl!, cert: null, key: null } })?.message).toMatch(/set kafka\.ssl\.cert and kafka\.ssl\.key/);
  });

  it('a mechanism the listener does not offer', () => {
    const err = Object.assign(new Error('Unsupported SASL mechanism'), { type: 'UNSUPPORTED_SASL_MECHANISM' });
    expect(kafkaSecurityError(err, secured)?.message).toMatch(/does not offer SASL SCRAM-SHA-512/);
  });

  it('a broker that is down or slow is not a security error (left to the retries)', () => {
    for (const err of [
      Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9094'), { name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' }),
      Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' }),
      new Error('This server does not host this topic-partition'),
      null,
      'a string',
    ]) {
      expect(kafkaSecurityError(err, secured)).toBeNull();
    }
  });
});
