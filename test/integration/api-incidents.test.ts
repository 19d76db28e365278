/**
 * /api/v1/incidents against the real ClickHouse (read-only user) and Kafka: incidents made by
 * the incident state machine from a realistic alert storm, stored as the on-call sink stores
 * them; filters, paging, timeline, acknowledge/resolve as alert commands on the commands
 * topic (with actor and comment), roles, and hostile input in every filter and path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { startApi, type RunningApi } from '../../api/index.ts';
import { decodeEvent } from '../../pipeline/codec/events.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { groupOf } from '../../oncall/incidents/grouping.ts';
import { compileInhibitRules } from '../../oncall/incidents/inhibition.ts';
import { applyAlertEvent } from '../../oncall/incidents/incident-state.ts';
import { incidentEventRow } from '../../oncall/incidents/rows.ts';
import { seriesId, type AlertCommand, type IncidentEvent } from '../../schemas/records.ts';
import { consumeN, createTestEnv, type TestEnv } from '../support/index.ts';
import { alertWaves } from './oncall/alert-scenario.ts';

const KEYS = { reader: 'inc-reader-key-0123456789', operator: 'inc-operator-key-0123456789' };
const HOSTILE = ["' OR 1=1 --", "\\' OR 1=1 --", "'; DROP TABLE incident_events; --", "' UNION ALL SELECT name FROM system.tables --", '\uff07 OR 1=1', '`; SELECT 1; `', 'a\u0000b', '\\', '%27', 'x'.repeat(100_000)];

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let env: TestEnv;
let ch: ClickHouseClient;
let api: RunningApi;
const latest = new Map<string, IncidentEvent>();
const all: IncidentEvent[] = [];

async function request(method: string, path: string, opts: { key?: string | null; body?: unknown } = {}) {
  const key = opts.key === undefined ? KEYS.operator : opts.key;
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...(key ? { 'x-api-key': key } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : null };
}
const get = (path: string, key?: string | null) => request('GET', path, { key });

beforeAll(async () => {
  env = await createTestEnv('api-incidents', {
    partitions: 4,
    overrides: {
      api: {
        port: 0,
        commandWaitMs: 300,
        apiKeys: [
          { key: KEYS.reader, roles: ['read'], name: 'reader' },
          { key: KEYS.operator, roles: ['read', 'operate'], name: 'carol' },
        ],
      },
    },
  });
  // svc-0's incidents run to the end (resolved); the others stop after the second wave (open).
  const waves = alertWaves();
  const events = [...waves[0], ...waves[1], ...waves[2].filter((e) => e.source === 'svc-0')];
  const rules = { policy: env.config.oncall, inhibitRules: compileInhibitRules(env.config.oncall) };
  for (const e of events) {
    const group = groupOf(e, rules.policy)!;
    const next = applyAlertEvent(latest.get(group.groupKey) ?? null, group, e, rules);
    if (next) {
      latest.set(group.groupKey, next);
      all.push(next);
    }
  }
  ch = createClickHouse(env.config, { logger: env.logger });
  // One event twice (a re-delivery): the API shows it once.
  await ch.insert({ table: 'incident_events', values: [...all, all[0]].map(incidentEventRow), format: 'JSONEachRow' });
  api = await startApi(env.config, env.logger);
});

afterAll(async () => {
  await api?.close();
  await ch?.close();
  await env?.cleanup();
});

const open = () => [...latest.values()].filter((e) => e.status !== 'resolved');

describe('GET /api/v1/incidents', () => {
  it('lists the latest state of every incident, newest first, with its alerts', async () => {
    const res = await get('/api/v1/incidents?limit=100', KEYS.reader);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(latest.size);
    expect(res.body.nextCursor).toBeNull();
    const byId = new Map<string, Json>(res.body.items.map((i: Json) => [i.incidentId, i]));
    for (const e of latest.values()) {
      expect(byId.get(e.incidentId)).toEqual({
        incidentId: e.incidentId, groupKey: e.groupKey, groupLabels: e.groupLabels, title: e.title, status: e.status, severity: e.severity,
        version: e.version, openedAt: e.openedAt, updatedAt: e.timestamp, actor: e.actor, reason: e.reason, comment: e.comment, alerts: e.alerts,
      });
    }
    const opened = res.body.items.map((i: Json) => i.openedAt);
    expect(opened).toEqual([...opened].sort((a: number, b: number) => b - a));
  });

  it('filters by status, severity, group labels, alert and time, and pages with a cursor', async () => {
    const ids = async (q: string) => ((await get(`/api/v1/incidents?${q}`)).body.items as Json[]).map((i) => i.incidentId).sort();
    const expectIds = (pred: (e: IncidentEvent) => boolean) => [...latest.values()].filter(pred).map((e) => e.incidentId).sort();
    expect(await ids('status=resolved')).toEqual(expectIds((e) => e.status === 'resolved'));
    expect((await ids('status=firing,acknowledged')).length).toBe(open().length);
    expect(await ids('severity=low')).toEqual(expectIds((e) => e.severity === 'low'));
    expect(await ids('source=svc-1')).toEqual(expectIds((e) => e.groupLabels.source === 'svc-1'));
    expect(await ids('source=svc-1&metric=cpu_usage')).toEqual(expectIds((e) => e.groupLabels.source === 'svc-1' && e.groupLabels.metric === 'cpu_usage'));
    const anAlert = [...latest.values()][0].alerts[0].alertId;
    expect(await ids(`alert=${anAlert}`)).toEqual(expectIds((e) => e.alerts.some((a) => a.alertId === anAlert)));
    expect(await ids(`from=${Date.UTC(2030, 0, 1)}`)).toEqual([]);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/api/v1/incidents?limit=2&sort=severity${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      pages.push(...res.body.items.map((i: Json) => i.incidentId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(pages.sort()).toEqual([...latest.values()].map((e) => e.incidentId).sort());
  });

  it('refuses hostile and malformed filters with 400 and reads nothing else', async () => {
    for (const h of HOSTILE) {
      for (const field of ['source', 'metric', 'alert', 'status', 'severity', 'sort', 'cursor', 'from', 'order', 'limit']) {
        const res = await get(`/api/v1/incidents?${field}=${encodeURIComponent(h)}`);
        // An oversize URL is refused by the HTTP layer (431) before any route runs.
        expect(h.length > 50_000 ? [431] : [200, 400], `${field}=${h.slice(0, 30)}`).toContain(res.status);
        if (res.status === 200) expect(res.body.items).toEqual([]);
        if (res.status === 400) expect(res.body.message).toBeTruthy();
      }
      const detail = await get(`/api/v1/incidents/${encodeURIComponent(h)}`);
      expect(h.length > 50_000 ? [431] : [400, 404]).toContain(detail.status);
    }
    expect((await get('/api/v1/incidents?unknown=1')).status).toBe(400);
    expect((await get('/api/v1/incidents?limit=0')).status).toBe(400);
    const rows = await (await ch.query({ query: 'SELECT count() AS n FROM incident_events', format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(all.length);
  });

  it('needs a key with the read role', async () => {
    expect((await get('/api/v1/incidents', null)).status).toBe(401);
    expect((await request('POST', `/api/v1/incidents/${open()[0].incidentId}/acknowledge`, { key: KEYS.reader, body: {} })).status).toBe(403);
  });
});

describe('GET /api/v1/incidents/{id}', () => {
  it('returns the incident with its timeline: every alert transition once, with who, why and the comment', async () => {
    const e = [...latest.values()].find((x) => x.groupLabels.source === 'svc-0' && x.groupLabels.metric === 'error_rate')!;
    const res = await get(`/api/v1/incidents/${e.incidentId}`, KEYS.reader);
    expect(res.status).toBe(200);
    expect(res.body.incident).toMatchObject({ incidentId: e.incidentId, status: 'resolved', version: e.version });
    const steps = all.filter((x) => x.incidentId === e.incidentId);
    expect(res.body.timeline).toEqual(
      steps.map((s) => ({
        version: s.version, timestamp: s.timestamp, status: s.status, severity: s.severity, alertId: s.causeAlertId,
        alert: s.alerts.find((a) => a.alertId === s.causeAlertId), actor: s.actor, reason: s.reason, comment: s.comment,
      })),
    );
    expect(res.body.timeline.find((s: Json) => s.comment === 'deploy 42 rolled back')).toMatchObject({ actor: 'alice', alert: { kind: 'anomaly', status: 'acknowledged', inhibited: true } });
    expect((await get('/api/v1/incidents/0123456789abcdef')).status).toBe(404);
  });
});

describe('POST /api/v1/incidents/{id}/acknowledge|resolve', () => {
  it('acknowledge sends one alert command per firing alert, keyed by its series, with actor and comment (202 without a pipeline)', async () => {
    const e = open().find((x) => x.groupLabels.kind !== 'nodata')!;
    const firing = e.alerts.filter((a) => a.status === 'firing');
    expect(firing.length).toBeGreaterThan(0);
    const res = await request('POST', `/api/v1/incidents/${e.incidentId}/acknowledge`, { body: { comment: "it's the cache; see #42" } });
    expect(res.status).toBe(202);
    expect(res.body.incidentId).toBe(e.incidentId);
    expect(res.body.results.map((r: Json) => [r.alertId, r.outcome])).toEqual(firing.map((a) => [a.alertId, 'pending']));
    const messages = await consumeN(env.config, env.topics.commands, firing.length, 20_000);
    const commands = messages.map((m) => ({ key: m.key!.toString(), cmd: decodeEvent(m.value!).record as AlertCommand }));
    expect(commands.map((c) => c.cmd.alertId).sort()).toEqual(firing.map((a) => a.alertId).sort());
    for (const { key, cmd } of commands) {
      expect(cmd).toMatchObject({ type: 'acknowledge', actor: 'carol', comment: "it's the cache; see #42" });
      expect(key).toBe(seriesId(cmd.source, cmd.metric));
    }
  });

  it('409 when there is nothing to do; oversize, control-character and mistyped comments 400; unknown ids 404', async () => {
    const resolved = [...latest.values()].find((x) => x.status === 'resolved')!;
    expect((await request('POST', `/api/v1/incidents/${resolved.incidentId}/acknowledge`, { body: {} })).status).toBe(409);
    expect((await request('POST', `/api/v1/incidents/${resolved.incidentId}/resolve`, { body: {} })).status).toBe(409);
    expect((await request('POST', '/api/v1/incidents/0123456789abcdef/resolve', { body: {} })).status).toBe(404);
    const target = open()[0].incidentId;
    expect((await request('POST', `/api/v1/incidents/${target}/resolve`, { body: { comment: 'x'.repeat(5000) } })).status).toBe(400);
    expect((await request('POST', `/api/v1/incidents/${target}/resolve`, { body: { comment: 'a\u0000b' } })).status).toBe(400);
    expect((await request('POST', `/api/v1/incidents/${target}/resolve`, { body: { comment: 1 } })).status).toBe(400);
    expect((await request('POST', `/api/v1/incidents/${target}/resolve`, { body: { comment: 'ok', extra: true } })).status).toBe(400);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await get('/api/v1/openapi.json', null)).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/incidents', '/api/v1/incidents/{id}', '/api/v1/incidents/{id}/acknowledge', '/api/v1/incidents/{id}/resolve']));
    expect(doc.paths['/api/v1/incidents/{id}/acknowledge'].post.requestBody).toBeDefined();
  });
});
