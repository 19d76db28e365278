/** core/config.ts against hostile files and environments: every refusal names the field. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configEnvVars, loadConfig, topicNames } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { defaultDetectorParams, seasonPeriodParam, seriesSeasonPeriod } from '../../workers/detector-params.ts';
import { SEASON_AUTO, SEASON_NONE } from '../../workers/seasonal.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-config-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Runs loadConfig expecting a VigilError; returns its message. */
function refusal(options: Parameters<typeof loadConfig>[0]): string {
  try {
    loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    return (err as VigilError).message;
  }
  throw new Error('loadConfig accepted a hostile config');
}

describe('defaults', () => {
  it('with nothing set, gives the local stack endpoints and documented defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(c.kafka.partitions).toBe(12);
    expect(c.kafka.topicPrefix).toBe('vigil.');
    expect(c.clickhouse.url).toBe('http://127.0.0.1:18123');
    expect(c.clickhouse.database).toBe('vigil');
    expect(c.clickhouse.readerUsername).toBe('vigil_reader');
    expect(c.api.port).toBe(8080);
    expect(c.gateway.port).toBe(8090);
    expect(topicNames(c).commands).toBe('vigil.commands');
  });
});

describe('hostile config files', () => {
  it('a missing file names the path', () => {
    expect(refusal({ env: {}, file: path.join(dir, 'nope.json') })).toMatch(/cannot read config file .*nope\.json/);
  });

  it('bad JSON names the file and says to fix the syntax', () => {
    const msg = refusal({ env: {}, file: file('bad.json', '{"kafka": {"partitions": 3,}') });
    expect(msg).toMatch(/bad\.json is not valid JSON/);
    expect(msg).toMatch(/fix the JSON syntax/);
  });

  it.each([
    ['an array', '[1,2]'],
    ['a string', '"kafka"'],
    ['null', 'null'],
  ])('a file holding %s is refused', (_what, text) => {
    expect(refusal({ env: {}, file: file('notobj.json', text) })).toMatch(/must hold a JSON object/);
  });

  it.each([
    ['kafka.partitions', { kafka: { partitions: '12' } }],
    ['kafka.partitions', { kafka: { partitions: 0 } }],
    ['kafka.partitions', { kafka: { partitions: 2.5 } }],
    ['kafka.brokers', { kafka: { brokers: '127.0.0.1:19092' } }],
    ['kafka.brokers', { kafka: { brokers: [] } }],
    ['api.port', { api: { port: -1 } }],
    ['api.port', { api: { port: 70000 } }],
    ['gateway.port', { gateway: { port: 'eighty' } }],
    ['clickhouse.url', { clickhouse: { url: 'not a url' } }],
    ['clickhouse.database', { clickhouse: { database: 'vigil; DROP DATABASE system' } }],
    ['kafka.topicPrefix', { kafka: { topicPrefix: 'bad prefix/' } }],
    ['kafka.replicationFactor', { kafka: { replicationFactor: 0 } }],
    ['kafka.minInsyncReplicas', { kafka: { minInsyncReplicas: 0 } }],
    ['kafka.minInsyncReplicas', { kafka: { minInsyncReplicas: '2' } }],
    ['kafka.minInsyncReplicas', { kafka: { replicationFactor: 3, minInsyncReplicas: 4 } }],
    ['kafka.minInsyncReplicas', { kafka: { minInsyncReplicas: 2 } }],
    ['logLevel', { logLevel: 'loud' }],
    ['api.apiKeys.0.key', { api: { apiKeys: [{ key: 'short', roles: ['read'] }] } }],
    ['api.apiKeys.0.roles.0', { api: { apiKeys: [{ key: 'x'.repeat(20), roles: ['root'] }] } }],
    ['pipeline.windowSize', { pipeline: { windowSize: 1 } }],
    ['pipeline.seasonPeriod', { pipeline: { seasonPeriod: 'daily' } }],
    ['pipeline.seasonPeriod', { pipeline: { seasonPeriod: 60 } }],
    ['pipeline.seasonPeriod', { pipeline: { seasonPeriod: 86400.5 } }],
    ['pipeline.seasonPeriod', { pipeline: { seasonPeriod: -1 } }],
    ['pipeline.seasonPeriod', { pipeline: { seasonPeriod: 1e12 } }],
    ['pipeline.seasonPeriod', { pipeline: { seasonPeriod: null } }],
    ['pipeline.seasonPeriods.cpu', { pipeline: { seasonPeriods: { cpu: 'weekly' } } }],
    ['pipeline.seasonPeriods.cpu', { pipeline: { seasonPeriods: { cpu: 0 } } }],
  ])('wrong value for %s is refused naming the field', (field, content) => {
    const msg = refusal({ env: {}, file: file('wrong.json', JSON.stringify(content)) });
    expect(msg).toMatch(/^invalid configuration: /);
    expect(msg).toContain(`${field}:`);
    expect(msg).toMatch(/see README "Configuration"/);
  });

  it.each([
    ['kafka.brokers.0', '127.0.0.1'],
    ['kafka.brokers.0', 'host:port'],
    ['kafka.brokers.0', 'a b:9092'],
    ['kafka.brokers.0', ':9092'],
    ['kafka.brokers.1', 'ok'],
  ])('bad broker string at %s (%s) is refused', (field, bad) => {
    const brokers = field.endsWith('.1') ? ['127.0.0.1:19092', bad] : [bad];
    const msg = refusal({ env: {}, file: file('brokers.json', JSON.stringify({ kafka: { brokers } })) });
    expect(msg).toContain(`${field}: broker must be host:port`);
  });

  it('seasonPeriod: auto / none / seconds; a series-id override wins over a metric override, which wins over the default', () => {
    const overrides = { orders: 604800, cpu: 'auto', 'checkout/orders': 86400, 'web/cpu': 'none' };
    const c = loadConfig({ env: {}, file: file('season.json', JSON.stringify({ pipeline: { seasonPeriod: 'none', seasonPeriods: overrides } })) });
    expect(c.pipeline.seasonPeriod).toBe('none');
    expect(defaultDetectorParams(c.pipeline).seasonPeriod).toBe(SEASON_NONE);
    expect(seriesSeasonPeriod(c.pipeline, 'shop', 'orders')).toBe(604800);
    expect(seriesSeasonPeriod(c.pipeline, 'checkout', 'orders')).toBe(86400);
    expect(seriesSeasonPeriod(c.pipeline, 'db', 'cpu')).toBe(SEASON_AUTO);
    expect(seriesSeasonPeriod(c.pipeline, 'web', 'cpu')).toBe(SEASON_NONE);
    expect(seriesSeasonPeriod(c.pipeline, 'web', 'other')).toBe(SEASON_NONE);
    // the series key is the whole id: a source that merely starts like one is not matched
    expect(seriesSeasonPeriod(c.pipeline, 'checkout-eu', 'orders')).toBe(604800);
    // names like Object.prototype members are no override, as series or as metric
    expect(seriesSeasonPeriod(c.pipeline, 'constructor', 'toString')).toBe(SEASON_NONE);
    expect(seriesSeasonPeriod(c.pipeline, 'web', '__proto__')).toBe(SEASON_NONE);
    const d = loadConfig({ env: {} }).pipeline;
    // the default is auto (docs/detection.md "Seasonal baseline": the figures that decided it)
    expect(d.seasonPeriod).toBe('auto');
    expect(defaultDetectorParams(d).seasonPeriod).toBe(SEASON_AUTO);
    expect(seriesSeasonPeriod(d, 'any', 'thing')).toBe(SEASON_AUTO);
  });

  it.each([
    ['a period under 480 s', { 'web/cpu': 60 }, 'a seasonal period is at least 480 seconds'],
    ['a fractional period', { cpu: 86400.5 }, 'seasonPeriods'],
    ['an unknown word', { cpu: 'weekly' }, 'seasonPeriods'],
    ['an empty key', { '': 86400 }, 'seasonPeriods'],
    ['a key over 1024 characters', { ['s'.repeat(1021) + '/cpu']: 86400 }, 'seasonPeriods'],
  ])('seasonPeriods with %s is refused naming the field', (_what, overrides, expected) => {
    const msg = refusal({ env: {}, file: file('season-bad.json', JSON.stringify({ pipeline: { seasonPeriods: overrides } })) });
    expect(msg).toContain('pipeline.seasonPeriods');
    expect(msg).toContain(expected);
  });

  it('an unknown top-level key is refused naming it (typos must not be ignored)', () => {
    const msg = refusal({ env: {}, file: file('unknown.json', JSON.stringify({ kafak: { partitions: 3 } })) });
    expect(msg).toContain('(root):');
    expect(msg).toContain('kafak');
  });

  it('replication factor and min ISR: default 1 and 1, a three-broker layout 3 and 2 is accepted', () => {
    const d = loadConfig({ env: {} }).kafka;
    expect([d.replicationFactor, d.minInsyncReplicas]).toEqual([1, 1]);
    const c = loadConfig({ env: {}, file: file('rf3.json', JSON.stringify({ kafka: { replicationFactor: 3, minInsyncReplicas: 2 } })) }).kafka;
    expect([c.replicationFactor, c.minInsyncReplicas]).toEqual([3, 2]);
    expect(refusal({ env: {}, file: file('isr.json', JSON.stringify({ kafka: { replicationFactor: 2, minInsyncReplicas: 3 } })) })).toContain('exceeds replicationFactor 2');
  });

  // Every section is .strict() too: a typo inside a section must not be silently dropped.
  it.each([
    ['kafka', { kafka: { partitons: 3 } }, 'partitons'],
    ['clickhouse', { clickhouse: { pasword: 'x' } }, 'pasword'],
  ])('unknown key under %s is refused', (where, content, key) => {
    const msg = refusal({ env: {}, file: file('unknown.json', JSON.stringify(content)) });
    expect(msg).toContain(`${where}:`);
    expect(msg).toContain(key);
  });
});

describe('hostile environment', () => {
  it.each(['VIGIL_KAFKA_PARTITIONS', 'VIGIL_API_PORT', 'VIGIL_GATEWAY_PORT', 'VIGIL_WINDOW_SIZE', 'VIGIL_WORKER_THREADS'])(
    'non-number %s names the variable',
    (name) => {
      for (const raw of ['twelve', '', '  ', '12abc', 'NaN', 'Infinity']) {
        const msg = refusal({ env: { [name]: raw } });
        expect(msg).toContain(name);
        expect(msg).toMatch(/is not a number/);
      }
    },
  );

  it('a negative port from the environment is refused naming the config path', () => {
    expect(refusal({ env: { VIGIL_API_PORT: '-8080' } })).toContain('api.port:');
    expect(refusal({ env: { VIGIL_GATEWAY_PORT: '65536' } })).toContain('gateway.port:');
  });

  it('bad broker lists from the environment are refused', () => {
    expect(refusal({ env: { VIGIL_KAFKA_BROKERS: '127.0.0.1:19092,localhost' } })).toContain('kafka.brokers.1: broker must be host:port');
    expect(refusal({ env: { VIGIL_KAFKA_BROKERS: ' , ' } })).toContain('kafka.brokers:');
  });

  it('VIGIL_API_KEYS that is not JSON names the variable', () => {
    const msg = refusal({ env: { VIGIL_API_KEYS: '[{key:' } });
    expect(msg).toContain('VIGIL_API_KEYS is not valid JSON');
  });

  it('VIGIL_API_KEYS with a short key names the field', () => {
    expect(refusal({ env: { VIGIL_API_KEYS: JSON.stringify([{ key: 'abc', roles: ['read'] }]) } })).toContain('api.apiKeys.0.key:');
  });

  it('VIGIL_CONFIG pointing at a broken file is refused like --config', () => {
    expect(refusal({ env: { VIGIL_CONFIG: file('envfile.json', '{') } })).toMatch(/envfile\.json is not valid JSON/);
  });
});

describe('good overrides', () => {
  it('environment values apply, parsed to the right types', () => {
    const c = loadConfig({
      env: {
        VIGIL_LOG_LEVEL: 'debug',
        VIGIL_KAFKA_BROKERS: ' 10.0.0.1:9092 , kafka-2:9093 ',
        VIGIL_KAFKA_CLIENT_ID: 'vigil-test',
        VIGIL_TOPIC_PREFIX: 'staging.',
        VIGIL_KAFKA_PARTITIONS: '24',
        VIGIL_KAFKA_GROUP_ID: 'g1',
        VIGIL_CLICKHOUSE_URL: 'http://ch.internal:8123',
        VIGIL_CLICKHOUSE_DATABASE: 'vigil_staging',
        VIGIL_CLICKHOUSE_USER: 'writer',
        VIGIL_CLICKHOUSE_PASSWORD: 's3cret',
        VIGIL_WINDOW_SIZE: '500',
        VIGIL_WINDOW_MS: '60000',
        VIGIL_WORKER_THREADS: '3',
        VIGIL_NO_DATA_MS: '120000',
        VIGIL_API_HOST: '0.0.0.0',
        VIGIL_API_PORT: '9080',
        VIGIL_API_KEYS: JSON.stringify([{ key: 'k'.repeat(16), roles: ['read', 'operate'], name: 'ops' }]),
        VIGIL_GATEWAY_HOST: '0.0.0.0',
        VIGIL_GATEWAY_PORT: '9090',
        VIGIL_GATEWAY_TOKENS: 'token-aaaaaaaaaaaaaaaa,token-bbbbbbbbbbbbbbbb',
      },
    });
    expect(c.logLevel).toBe('debug');
    expect(c.kafka).toMatchObject({ brokers: ['10.0.0.1:9092', 'kafka-2:9093'], clientId: 'vigil-test', topicPrefix: 'staging.', partitions: 24, groupId: 'g1' });
    expect(c.clickhouse).toMatchObject({ url: 'http://ch.internal:8123', database: 'vigil_staging', username: 'writer', password: 's3cret' });
    expect(c.pipeline).toMatchObject({ windowSize: 500, windowMs: 60000, workerThreads: 3, noDataMs: 120000 });
    expect(c.api).toMatchObject({ host: '0.0.0.0', port: 9080 });
    expect(c.api.apiKeys).toEqual([{ key: 'k'.repeat(16), roles: ['read', 'operate'], name: 'ops' }]);
    expect(c.gateway).toMatchObject({ host: '0.0.0.0', port: 9090, tokens: ['token-aaaaaaaaaaaaaaaa', 'token-bbbbbbbbbbbbbbbb'] });
    expect(topicNames(c).metrics).toBe('staging.metrics');
  });

  it('environment beats the file, the file beats defaults, and untouched siblings keep their values', () => {
    const f = file('layer.json', JSON.stringify({ kafka: { partitions: 6, groupId: 'from-file' }, api: { port: 7000 } }));
    const c = loadConfig({ file: f, env: { VIGIL_KAFKA_PARTITIONS: '8' } });
    expect(c.kafka.partitions).toBe(8);
    expect(c.kafka.groupId).toBe('from-file');
    expect(c.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(c.api.port).toBe(7000);
  });

  it('README "Configuration" documents every VIGIL_* variable loadConfig reads, and no others', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split(/^## /m).find((s) => s.startsWith('Configuration')) ?? '';
    for (const name of configEnvVars) expect(section, name).toContain(`\`${name}\``);
    const documented = new Set([...section.matchAll(/`(VIGIL_[A-Z_]+)`/g)].map((m) => m[1]));
    documented.delete('VIGIL_CONFIG');
    expect([...documented].filter((v) => !configEnvVars.includes(v))).toEqual([]);
  });
});
