/**
 * The one typed, validated configuration object. Read once per process.
 *
 * Sources, later ones win: built-in defaults < JSON config file (VIGIL_CONFIG or --config)
 * < VIGIL_* environment variables. Invalid values fail fast with the offending path and
 * what to do about it, never a half-configured process.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { VigilError } from './errors.ts';
import { clickhouseSchema } from './clickhouse-config.ts';
import { kafkaSchema } from './kafka-config.ts';
import { notifySchema } from './notify-config.ts';
import { oncallSchema } from './oncall-config.ts';
import { repeatedSecret, secretSchema } from './secrets.ts';

/** metrics = GET /metrics only (the Prometheus scrape key). */
export const API_ROLES = ['read', 'operate', 'ingest', 'metrics'] as const;

const apiKey = z.object({
  /** Plain (≥16 characters, development) or `sha256:<64 hex>` of the key (core/secrets.ts). */
  key: secretSchema('API keys', 16),
  roles: z.array(z.enum(API_ROLES)).min(1),
  name: z.string().default('key'),
});

/** An exact browser origin: http(s), host, optional port, nothing else ('*' and paths refused). */
const origin = z.string().max(300).refine((o) => {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
  } catch {
    return false;
  }
}, 'must be an origin like https://ops.example.com or http://127.0.0.1:3000 (scheme, host and port only, no path or trailing slash)');

/**
 * An absolute URL with one of `schemes` (e.g. ['ws:', 'wss:']), no credentials (it is handed to
 * browsers or named in /health messages) and no query or fragment; an empty string is unset
 * (null), so an env template can leave it blank. Whitespace anywhere is refused: the URL parser
 * would silently strip it at the ends, and a value with spaces is a mistake, not a URL.
 */
function absoluteUrl(schemes: readonly string[], example: string) {
  const wanted = schemes.map((s) => `${s}//`).join(' or ');
  return z.preprocess(
    (v) => (v === '' ? null : v),
    z
      .string()
      .max(2048)
      .superRefine((v, ctx) => {
        const bad = (why: string, quote = true) => ctx.addIssue({ code: 'custom', message: `${quote ? `${JSON.stringify(v.slice(0, 80))} ` : 'the URL '}${why}; give a full URL like ${example}` });
        if (/[\s\u0000-\u001f\u007f]/u.test(v)) return bad('contains whitespace or control characters');
        let u: URL;
        try {
          u = new URL(v);
        } catch {
          return bad(`is not an absolute URL (missing ${wanted}?)`);
        }
        if (!schemes.includes(u.protocol)) return bad(`must start with ${wanted}`);
        // `wss:///ws` parses as host "ws": the host must be written where it belongs.
        if (!u.hostname || !/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]/.test(v)) return bad('has no host after the scheme');
        // Not quoted: the message is logged, the password would be too.
        if (u.username || u.password) return bad('must not carry a user name or password', false);
        if (u.search || u.hash) return bad('must not have a query or fragment');
      })
      .nullable()
      .default(null),
  );
}

/** Two entries for one secret would make the principal depend on list order: refused. */
function distinctSecrets<T>(secretOf: (item: T) => string, what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const i = repeatedSecret(items.map(secretOf));
    if (i >= 0) ctx.addIssue({ code: 'custom', path: [i], message: `${what} ${i} repeats an earlier one (same key or digest)` });
  };
}

const seasonPeriodSchema = z.union([
  z.literal('auto'),
  z.literal('none'),
  z.number().int().min(480, 'a seasonal period is at least 480 seconds').max(366 * 86_400, 'a seasonal period is at most a year (31622400 seconds)'),
]);

export const configSchema = z
  .object({
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    kafka: kafkaSchema.prefault({}),
    clickhouse: clickhouseSchema.prefault({}),
    pipeline: z
      .object({
        windowSize: z.number().int().min(10).max(100_000).default(1000),
        windowMs: z.number().int().min(1000).default(3_600_000),
        workerThreads: z.number().int().min(1).max(64).default(Math.max(1, os.availableParallelism() - 1)),
        liveThrottleMs: z.number().int().min(0).default(1000),
        /** How often changed series state is snapshotted to ClickHouse (replay covers the gap). */
        snapshotIntervalMs: z.number().int().min(100).default(10_000),
        noDataMs: z.number().int().min(1000).default(300_000),
        maxBytesPerPartition: z.number().int().min(1024).default(1_048_576),
        maxTagCount: z.number().int().min(0).default(32),
        maxTagBytes: z.number().int().min(16).default(2048),
        maxFutureSkewMs: z.number().int().min(0).default(86_400_000),
        /**
         * Largest request the pipeline produces, and so the largest dead letter: a bigger DLQ copy
         * is truncated to fit. Below the broker's default max.message.bytes (1,048,588) with room
         * for batch framing; lowered at start-up to what the output topics accept.
         */
        maxProduceBytes: z.number().int().min(16_384).default(1_000_000),
        /** A partition with lag and no committed progress for this long is stalled: /health 503 and an alert. */
        stallAfterMs: z.number().int().min(1000).default(60_000),
        /**
         * Series one instance holds at most when it owns every partition of the metrics topic.
         * Enforced per partition, as ceil(maxSeries / kafka.partitions): a point of a new series
         * on a partition already holding that many is dead-lettered as `series-limit`, so whether
         * a record is accepted depends only on its partition's history (the same after a restart
         * or a rebalance). The default is what 2.3 GiB of RSS holds at the default windowSize
         * (docs/benchmarks.md: 24 KB per series at 100k series).
         */
        maxSeries: z.number().int().min(1).max(100_000_000).default(100_000),
        /** The `pipeline.series_limit` alert of a partition resolves after this long without a refused point. */
        seriesLimitClearMs: z.number().int().min(1000).default(300_000),
        /** A scoring task running longer is aborted and its worker thread replaced (a hang). */
        scoreTimeoutMs: z.number().int().min(100).default(30_000),
        /** Scoring attempts of one batch (each on rebuilt state) before its records are dead-lettered as `scoring-failed`. */
        scoreAttempts: z.number().int().min(1).max(10).default(3),
        /** The pipeline process's GET /metrics (Prometheus) and GET /health endpoint. */
        httpHost: z.string().min(1).default('127.0.0.1'),
        /** 0 = any free port (tests), -1 = no endpoint. */
        httpPort: z.number().int().min(-1).max(65535).default(9464),
        /**
         * Seasonal baseline of every series (workers/seasonal.ts): 'auto' models a daily cycle,
         * and a day-of-week shape on top of it, once a series shows them; 'none' never models
         * one; a number is a known period in seconds (480 s to a year) modelled from the first
         * full period on (no weekly part). Default 'auto': see
         * docs/detection.md ("Seasonal baseline") for the figures behind it.
         */
        seasonPeriod: seasonPeriodSchema.default('auto'),
        /**
         * Period overrides keyed by series id (`<source>/<metric>`) or by metric name; a series id
         * wins over its metric: { "checkout/orders_per_minute": 604800, "queue_depth": "none" }.
         */
        seasonPeriods: z.record(z.string().min(1).max(1024), seasonPeriodSchema).default({}),
      })
      .strict()
      .prefault({}),
    api: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        bodyLimit: z.number().int().min(1024).default(1_048_576),
        rateLimitPerMinute: z.number().int().min(1).default(6000),
        /** No keys configured = auth disabled (local demo); production configs list keys with roles. */
        apiKeys: z.array(apiKey).superRefine(distinctSecrets((k: { key: string }) => k.key, 'API key')).default([]),
        commandWaitMs: z.number().int().min(0).default(5000),
        /**
         * Longest a ClickHouse read may take: a request whose query gets no answer in this time is
         * answered 503 naming ClickHouse (api/plugins/errors.ts), so a hung server never hangs callers longer.
         */
        queryTimeoutMs: z.number().int().min(100).max(300_000).default(15_000),
        /**
         * Browser origins (`scheme://host[:port]`, exactly as browsers send them) allowed to call
         * the API cross-origin; empty = no CORS header at all (api/plugins/cors.ts).
         */
        corsOrigins: z.array(origin).max(100).default([]),
        /**
         * How long the dashboard's summary reads (/dashboard-stats, /live-metrics) are answered
         * from memory: every open page asks for the same figures, which are a second or so stale
         * anyway (points arrive in batches). 0 = no cache.
         */
        cacheTtlMs: z.number().int().min(0).max(60_000).default(1000),
        /**
         * The gateway URL /client-config gives the dashboard (and its CSP allows), when browsers
         * reach the gateway through a load balancer or ingress: e.g. wss://ops.example.com/ws.
         * null = ws://<the host the page was loaded from>:<gateway.port>/ws (api/gateway-url.ts).
         */
        gatewayPublicUrl: absoluteUrl(['ws:', 'wss:'], 'wss://ops.example.com/ws'),
        /**
         * What the API GETs for the gateway check of its /health, e.g.
         * http://vigil-gateway.vigil.svc:8090/health. null = http://<gateway.host, 127.0.0.1 when
         * it binds every interface>:<gateway.port>/health (api/gateway-health.ts).
         */
        gatewayHealthUrl: absoluteUrl(['http:', 'https:'], 'http://vigil-gateway:8090/health'),
      })
      .strict()
      .prefault({}),
    oncall: oncallSchema.prefault({}),
    gateway: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8090),
        /** No tokens configured = open (local demo). */
        /** Plain (≥16 characters) or `sha256:<64 hex>` each (core/secrets.ts). */
        tokens: z.array(secretSchema('gateway tokens', 16)).superRefine(distinctSecrets((t: string) => t, 'gateway token')).default([]),
        maxBackpressureBytes: z.number().int().min(1024).default(1_048_576),
        replayBufferSize: z.number().int().min(0).default(10_000),
        idleTimeoutSec: z.number().int().min(8).default(120),
        /** Open WebSockets per remote address; the next upgrade gets 429 (behind a proxy the address is the proxy's). */
        maxConnectionsPerIp: z.number().int().min(1).max(1_000_000).default(200),
        /** Upgrades per remote address, successful or not (a token bucket): beyond it 429 with Retry-After. */
        handshakeRate: z
          .object({
            perSecond: z.number().min(0.01).max(1_000_000).default(20),
            burst: z.number().int().min(1).max(1_000_000).default(40),
          })
          .strict()
          .prefault({}),
        /**
         * Browser origins allowed to open a WebSocket (`scheme://host[:port]`, or `*` for any);
         * empty = only pages on the host name the gateway is reached under (the dashboard's case).
         * Upgrades without an Origin header (non-browser clients) are not affected.
         */
        allowedOrigins: z.array(z.union([z.literal('*'), origin])).max(100).default([]),
      })
      .strict()
      .prefault({}),
    /** Notifications: receivers, routing tree, grouping timers, retries (core/notify-config.ts). */
    notify: notifySchema.prefault({}),
    /** Forwarding Vigil's alerts to an existing Alertmanager (oncall/alertmanager/). */
    alertmanager: z
      .object({
        /** Base URL, e.g. http://127.0.0.1:9093; null = no forwarding. */
        url: z.string().url().regex(/^https?:\/\//, 'must be an http(s) URL').nullable().default(null),
        /** Open alerts are re-posted this often, with endsAt 4 intervals ahead (as Prometheus does). */
        resendIntervalMs: z.number().int().min(1000).max(3_600_000).default(60_000),
        /** How often Alertmanager's silences are read back and mirrored into Vigil; 0 = never. */
        silencePollMs: z.number().int().min(0).max(3_600_000).default(30_000),
        timeoutMs: z.number().int().min(100).max(60_000).default(5000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type VigilConfig = z.infer<typeof configSchema>;

/** Env var → config path. Numbers and lists are parsed; everything else is a string. */
const envMap: Record<string, { path: string[]; kind: 'string' | 'number' | 'list' | 'json' }> = {
  VIGIL_LOG_LEVEL: { path: ['logLevel'], kind: 'string' },
  VIGIL_KAFKA_BROKERS: { path: ['kafka', 'brokers'], kind: 'list' },
  VIGIL_KAFKA_CLIENT_ID: { path: ['kafka', 'clientId'], kind: 'string' },
  VIGIL_TOPIC_PREFIX: { path: ['kafka', 'topicPrefix'], kind: 'string' },
  VIGIL_KAFKA_PARTITIONS: { path: ['kafka', 'partitions'], kind: 'number' },
  VIGIL_KAFKA_REPLICATION_FACTOR: { path: ['kafka', 'replicationFactor'], kind: 'number' },
  VIGIL_KAFKA_MIN_INSYNC_REPLICAS: { path: ['kafka', 'minInsyncReplicas'], kind: 'number' },
  VIGIL_KAFKA_GROUP_ID: { path: ['kafka', 'groupId'], kind: 'string' },
  VIGIL_KAFKA_SASL_MECHANISM: { path: ['kafka', 'sasl', 'mechanism'], kind: 'string' },
  VIGIL_KAFKA_SASL_USERNAME: { path: ['kafka', 'sasl', 'username'], kind: 'string' },
  VIGIL_KAFKA_SASL_PASSWORD: { path: ['kafka', 'sasl', 'password'], kind: 'string' },
  VIGIL_KAFKA_SASL_PASSWORD_FILE: { path: ['kafka', 'sasl', 'passwordFile'], kind: 'string' },
  VIGIL_KAFKA_SSL_CA: { path: ['kafka', 'ssl', 'ca'], kind: 'string' },
  VIGIL_KAFKA_SSL_CERT: { path: ['kafka', 'ssl', 'cert'], kind: 'string' },
  VIGIL_KAFKA_SSL_KEY: { path: ['kafka', 'ssl', 'key'], kind: 'string' },
  VIGIL_CLICKHOUSE_URL: { path: ['clickhouse', 'url'], kind: 'string' },
  VIGIL_CLICKHOUSE_DATABASE: { path: ['clickhouse', 'database'], kind: 'string' },
  VIGIL_CLICKHOUSE_CLUSTER: { path: ['clickhouse', 'cluster'], kind: 'string' },
  VIGIL_CLICKHOUSE_USER: { path: ['clickhouse', 'username'], kind: 'string' },
  VIGIL_CLICKHOUSE_PASSWORD: { path: ['clickhouse', 'password'], kind: 'string' },
  VIGIL_CLICKHOUSE_PASSWORD_FILE: { path: ['clickhouse', 'passwordFile'], kind: 'string' },
  VIGIL_CLICKHOUSE_READER_USER: { path: ['clickhouse', 'readerUsername'], kind: 'string' },
  VIGIL_CLICKHOUSE_READER_PASSWORD: { path: ['clickhouse', 'readerPassword'], kind: 'string' },
  VIGIL_CLICKHOUSE_READER_PASSWORD_FILE: { path: ['clickhouse', 'readerPasswordFile'], kind: 'string' },
  VIGIL_CLICKHOUSE_CA: { path: ['clickhouse', 'ca'], kind: 'string' },
  VIGIL_WINDOW_SIZE: { path: ['pipeline', 'windowSize'], kind: 'number' },
  VIGIL_WINDOW_MS: { path: ['pipeline', 'windowMs'], kind: 'number' },
  VIGIL_WORKER_THREADS: { path: ['pipeline', 'workerThreads'], kind: 'number' },
  VIGIL_NO_DATA_MS: { path: ['pipeline', 'noDataMs'], kind: 'number' },
  VIGIL_LIVE_THROTTLE_MS: { path: ['pipeline', 'liveThrottleMs'], kind: 'number' },
  VIGIL_SNAPSHOT_INTERVAL_MS: { path: ['pipeline', 'snapshotIntervalMs'], kind: 'number' },
  VIGIL_MAX_PRODUCE_BYTES: { path: ['pipeline', 'maxProduceBytes'], kind: 'number' },
  VIGIL_MAX_SERIES: { path: ['pipeline', 'maxSeries'], kind: 'number' },
  VIGIL_STALL_AFTER_MS: { path: ['pipeline', 'stallAfterMs'], kind: 'number' },
  VIGIL_PIPELINE_HTTP_HOST: { path: ['pipeline', 'httpHost'], kind: 'string' },
  VIGIL_PIPELINE_HTTP_PORT: { path: ['pipeline', 'httpPort'], kind: 'number' },
  VIGIL_API_HOST: { path: ['api', 'host'], kind: 'string' },
  VIGIL_API_PORT: { path: ['api', 'port'], kind: 'number' },
  VIGIL_API_KEYS: { path: ['api', 'apiKeys'], kind: 'json' },
  VIGIL_API_CORS_ORIGINS: { path: ['api', 'corsOrigins'], kind: 'list' },
  VIGIL_API_GATEWAY_PUBLIC_URL: { path: ['api', 'gatewayPublicUrl'], kind: 'string' },
  VIGIL_API_GATEWAY_HEALTH_URL: { path: ['api', 'gatewayHealthUrl'], kind: 'string' },
  VIGIL_ONCALL_GROUP_BY: { path: ['oncall', 'groupBy'], kind: 'list' },
  VIGIL_ONCALL_HTTP_HOST: { path: ['oncall', 'httpHost'], kind: 'string' },
  VIGIL_ONCALL_HTTP_PORT: { path: ['oncall', 'httpPort'], kind: 'number' },
  VIGIL_GATEWAY_HOST: { path: ['gateway', 'host'], kind: 'string' },
  VIGIL_GATEWAY_PORT: { path: ['gateway', 'port'], kind: 'number' },
  VIGIL_GATEWAY_TOKENS: { path: ['gateway', 'tokens'], kind: 'list' },
  VIGIL_GATEWAY_MAX_CONNECTIONS_PER_IP: { path: ['gateway', 'maxConnectionsPerIp'], kind: 'number' },
  VIGIL_GATEWAY_ALLOWED_ORIGINS: { path: ['gateway', 'allowedOrigins'], kind: 'list' },
  VIGIL_NOTIFY_DASHBOARD_URL: { path: ['notify', 'dashboardUrl'], kind: 'string' },
  VIGIL_ALERTMANAGER_URL: { path: ['alertmanager', 'url'], kind: 'string' },
  VIGIL_NOTIFY_RECEIVERS: { path: ['notify', 'receivers'], kind: 'json' },
  VIGIL_NOTIFY_ROUTE: { path: ['notify', 'route'], kind: 'json' },
};

export const configEnvVars = Object.keys(envMap);

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function parseEnvValue(name: string, raw: string, kind: string): unknown {
  switch (kind) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) {
        throw new VigilError(`${name}=${JSON.stringify(raw)} is not a number`, { action: `set ${name} to a number or unset it` });
      }
      return n;
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'json':
      try {
        return JSON.parse(raw);
      } catch (cause) {
        throw new VigilError(`${name} is not valid JSON`, { cause, action: `set ${name} to a JSON value` });
      }
    default:
      return raw;
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  file?: string;
  overrides?: Record<string, unknown>;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new VigilError(`cannot read config file ${file}`, { cause, action: 'check the path in VIGIL_CONFIG / --config' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new VigilError(`config file ${file} is not valid JSON`, { cause, action: 'fix the JSON syntax' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new VigilError(`config file ${file} must hold a JSON object`, { action: 'wrap the settings in { ... }' });
  }
  return parsed as Record<string, unknown>;
}

/** Plain-object merge where `extra` wins; arrays and scalars are replaced, not merged. */
export function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Build a validated config. Pure given its inputs; `getConfig()` caches the process-wide one. */
export function loadConfig(options: LoadConfigOptions = {}): VigilConfig {
  const env = options.env ?? process.env;
  let raw: Record<string, unknown> = {};
  const file = options.file ?? env.VIGIL_CONFIG;
  if (file) raw = readConfigFile(file);
  const fromEnv: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(envMap)) {
    const value = env[name];
    if (value !== undefined) setPath(fromEnv, spec.path, parseEnvValue(name, value, spec.kind));
  }
  raw = deepMerge(deepMerge(raw, fromEnv), options.overrides ?? {});
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new VigilError(`invalid configuration: ${problems}`, {
      action: 'fix the config file or VIGIL_* variables (see README "Configuration")',
    });
  }
  return result.data;
}

let cached: VigilConfig | undefined;
export function getConfig(): VigilConfig {
  cached ??= loadConfig();
  return cached;
}

/** Topic names derived from the prefix, so every component agrees on them. */
export function topicNames(config: Pick<VigilConfig, 'kafka'>) {
  const p = config.kafka.topicPrefix;
  return {
    metrics: `${p}metrics`,
    dlq: `${p}metrics.dlq`,
    anomalies: `${p}anomalies`,
    alerts: `${p}alerts`,
    live: `${p}live`,
    commands: `${p}commands`,
    config: `${p}config`,
    commandResults: `${p}commands.results`,
    /** Alert events re-keyed by incident group key (the on-call process's repartition topic). */
    alertsByGroup: `${p}alerts.by-group`,
    /** Incident transitions, key = group key; compacted: also the incident processor's changelog. */
    incidents: `${p}incidents`,
    /** Silences, key = silence id; compacted, read whole by the API and on-call processes. */
    silences: `${p}silences`,
    /** Notification receivers added or changed through the API (compacted, key = receiver name). */
    receivers: `${p}receivers`,
  } as const;
}
export type TopicNames = ReturnType<typeof topicNames>;
