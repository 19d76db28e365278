/**
 * A small client for Prometheus' HTTP API v1 (instant queries, rules, alerts, targets), for the
 * tests and the CLI. Every answer is validated: an error status, a non-JSON body or an
 * unexpected shape becomes a VigilError naming the request, never a silently empty result.
 */
import { z } from 'zod';
import { VigilError } from '../../core/errors.ts';

const sampleValue = z.tuple([z.number(), z.string()]);
const vectorSample = z.object({ metric: z.record(z.string(), z.string()), value: sampleValue });

const envelope = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
});

const queryData = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: z.array(vectorSample) }),
  z.object({ resultType: z.literal('scalar'), result: sampleValue }),
  z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
  z.object({ resultType: z.literal('string'), result: z.unknown() }),
]);

const rule = z.object({
  name: z.string(),
  type: z.enum(['alerting', 'recording']),
  health: z.string(),
  lastError: z.string().optional(),
  lastEvaluation: z.string().optional(),
  query: z.string(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  state: z.string().optional(),
});
const rulesData = z.object({ groups: z.array(z.object({ name: z.string(), file: z.string(), rules: z.array(rule) })) });

const alert = z.object({ labels: z.record(z.string(), z.string()), annotations: z.record(z.string(), z.string()), state: z.string(), value: z.string() });
const alertsData = z.object({ alerts: z.array(alert) });

const target = z.object({
  labels: z.record(z.string(), z.string()),
  scrapeUrl: z.string(),
  health: z.enum(['up', 'down', 'unknown']),
  lastError: z.string(),
});
const targetsData = z.object({ activeTargets: z.array(target) });

export interface Sample {
  labels: Record<string, string>;
  value: number;
}
export type PromRule = z.infer<typeof rule>;
export type PromRuleGroup = z.infer<typeof rulesData>['groups'][number];
export type PromAlert = z.infer<typeof alert>;
export type PromTarget = z.infer<typeof target>;

/** Prometheus writes sample values as strings ("NaN", "+Inf" included). */
export function parseSampleValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw new VigilError(`Prometheus sent a sample value that is not a number: ${JSON.stringify(text.slice(0, 40))}`);
  return n;
}

/** The `data` of a successful answer, or an error with Prometheus' own reason. */
export function unwrap(what: string, status: number, body: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new VigilError(`Prometheus ${what}: HTTP ${status} with a body that is not JSON: ${body.slice(0, 200)}`, { cause });
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success) throw new VigilError(`Prometheus ${what}: HTTP ${status}, not an API answer: ${body.slice(0, 200)}`);
  if (parsed.data.status === 'error') {
    throw new VigilError(`Prometheus ${what} failed: ${parsed.data.errorType ?? 'error'}: ${parsed.data.error ?? '(no reason)'}`, {
      action: 'check the PromQL expression',
    });
  }
  return parsed.data.data;
}

function shaped<T>(what: string, schema: z.ZodType<T>, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new VigilError(`Prometheus ${what}: unexpected answer shape (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}

/** The samples of an instant query answer (a scalar is one sample without labels). */
export function querySamples(data: unknown): Sample[] {
  const d = shaped('query', queryData, data);
  if (d.resultType === 'scalar') return [{ labels: {}, value: parseSampleValue(d.result[1]) }];
  if (d.resultType !== 'vector') throw new VigilError(`Prometheus query: expected an instant vector, got a ${d.resultType}`, { action: 'drop the range selector' });
  return d.result.map((s) => ({ labels: s.metric, value: parseSampleValue(s.value[1]) }));
}

export interface PrometheusClient {
  readonly url: string;
  query(expr: string): Promise<Sample[]>;
  rules(): Promise<PromRuleGroup[]>;
  alerts(): Promise<PromAlert[]>;
  targets(): Promise<PromTarget[]>;
}

export function prometheusClient(url: string, opts: { timeoutMs?: number } = {}): PrometheusClient {
  const timeoutMs = opts.timeoutMs ?? 5000;
  async function get(what: string, pathAndQuery: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${url}${pathAndQuery}`, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new VigilError(`Prometheus ${what}: no answer from ${url}`, { cause, action: 'is Prometheus running (npm run prometheus)?' });
    }
    return unwrap(what, res.status, await res.text());
  }
  return {
    url,
    async query(expr) {
      return querySamples(await get(`query ${expr}`, `/api/v1/query?query=${encodeURIComponent(expr)}`));
    },
    async rules() {
      return shaped('rules', rulesData, await get('rules', '/api/v1/rules')).groups;
    },
    async alerts() {
      return shaped('alerts', alertsData, await get('alerts', '/api/v1/alerts')).alerts;
    },
    async targets() {
      return shaped('targets', targetsData, await get('targets', '/api/v1/targets?state=active')).activeTargets;
    },
  };
}
