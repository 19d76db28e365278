/**
 * Alerts: list (latest state per alert), detail with history, and the operator commands.
 * Commands never write ClickHouse: the pipeline instance owning the series applies them.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AlertCommand, AlertEvent, CommandResult } from '../../schemas/records.ts';
import {
  alertCommandRoute,
  getAlertRoute,
  listAlertsRoute,
  type Alert,
  type AlertCommandBody,
  type CommandAccepted,
  type CommandApplied,
  type ListAlertsQuery,
} from '../../schemas/http/alerts.ts';
import type { IdParams, Page } from '../../schemas/http/common.ts';
import { conflict, notFound } from '../http-error.ts';
import { decodeCursor, pageFrom } from '../paging.ts';
import { actorOf } from '../plugins/auth.ts';
import { splitCommaLists } from '../plugins/validation.ts';
import {
  alertCursorPosition,
  alertFromHistory,
  alertFromRow,
  alertHistoryQuery,
  listAlertsQuery,
  transitionFromRow,
  type AlertEventRow,
  type AlertStateRow,
} from '../queries/alerts.ts';
import { parseRange } from '../time.ts';
import { alertLabels } from '../../oncall/silences/labels.ts';
import type { RouteContext } from './context.ts';

type CommandType = AlertCommand['type'];

/** Why the API refuses a command without asking the owner (null = send it). */
export function transitionRefusal(type: CommandType, alert: Alert): string | null {
  if (alert.status === 'resolved') return `alert ${alert.alertId} is already resolved`;
  if (type === 'acknowledge' && alert.status === 'acknowledged') return `alert ${alert.alertId} is already acknowledged`;
  if (alert.status !== 'firing' && alert.status !== 'acknowledged') return `alert ${alert.alertId} is in an unknown state '${alert.status}'`;
  return null;
}

function alertFromEvent(e: AlertEvent): Alert {
  return {
    alertId: e.alertId,
    fingerprint: e.fingerprint,
    source: e.source,
    metric: e.metric,
    ruleId: e.ruleId,
    kind: e.kind,
    severity: e.severity,
    status: e.status,
    version: e.version,
    openedAt: e.openedAt,
    updatedAt: e.timestamp,
    value: e.value,
    threshold: e.threshold,
    message: e.message,
    actor: e.actor,
    reason: e.reason,
    tags: e.tags ?? {},
  };
}

export default async function alertRoutes(app: FastifyInstance, ctx: RouteContext) {
  /** Open alerts get the ids of the silences muting them now; resolved ones notify nothing. */
  const withSilences = (alert: Alert, now: number): Alert => ({
    ...alert,
    silencedBy: alert.status === 'resolved' ? [] : ctx.deps.silences.activeSilencesFor(alertLabels(alert), now).map((s) => s.id),
  });
  const loadHistory = async (id: string) => ctx.deps.clickhouse.query<AlertEventRow>(alertHistoryQuery(ctx.tables, id));

  app.get(
    '/alerts',
    {
      schema: listAlertsRoute,
      preValidation: async (req) => splitCommaLists(req.query, ['status', 'severity']),
    },
    async (req): Promise<Page<Alert>> => {
      const q = req.query as ListAlertsQuery;
      const range = parseRange(q);
      const scope = `alerts:${q.sort}:${q.order}`;
      const after = q.cursor === undefined ? undefined : decodeCursor(scope, q.cursor);
      const rows = await ctx.deps.clickhouse.query<AlertStateRow>(
        listAlertsQuery(ctx.tables, { status: q.status, severity: q.severity, source: q.source, metric: q.metric, rule: q.rule, ...range }, q.sort, q.order, q.limit, after),
      );
      const now = ctx.now();
      return pageFrom(rows, q.limit, scope, (r) => withSilences(alertFromRow(r), now), alertCursorPosition);
    },
  );

  app.get('/alerts/:id', { schema: getAlertRoute }, async (req) => {
    const { id } = req.params as IdParams;
    const history = await loadHistory(id);
    const alert = alertFromHistory(history);
    if (!alert) throw notFound(`no alert with id ${id}`);
    return { alert: withSilences(alert, ctx.now()), history: history.map(transitionFromRow) };
  });

  const command = (type: CommandType) => async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const { id } = req.params as IdParams;
    const body = (req.body ?? {}) as AlertCommandBody;
    const alert = alertFromHistory(await loadHistory(id));
    if (!alert) throw notFound(`no alert with id ${id}`);
    const refusal = transitionRefusal(type, alert);
    if (refusal) {
      ctx.metrics.commands.inc({ type, outcome: 'conflict' });
      throw conflict(`cannot ${type}: ${refusal}`, [{ path: 'status', message: `current status is ${alert.status}` }]);
    }
    const cmd: AlertCommand = {
      commandId: randomUUID(),
      type,
      alertId: alert.alertId,
      source: alert.source,
      metric: alert.metric,
      actor: actorOf(req),
      comment: body.comment ?? '',
      issuedAt: ctx.now(),
    };
    const result: CommandResult | null = await ctx.deps.commands.issue(cmd, ctx.config.api.commandWaitMs);
    req.log.info({ commandId: cmd.commandId, type, alertId: alert.alertId, actor: cmd.actor, outcome: result ? (result.applied ? 'applied' : 'refused') : 'pending' }, 'alert command');
    if (result === null) {
      ctx.metrics.commands.inc({ type, outcome: 'pending' });
      const accepted: CommandAccepted = {
        commandId: cmd.commandId,
        status: 'pending',
        message: `published; the pipeline did not answer within ${ctx.config.api.commandWaitMs} ms — GET /api/v1/alerts/${alert.alertId} shows the outcome`,
      };
      return reply.code(202).send(accepted);
    }
    if (!result.applied) {
      ctx.metrics.commands.inc({ type, outcome: 'refused' });
      throw conflict(`the pipeline refused to ${type} alert ${alert.alertId}: ${result.reason}`, [{ path: 'status', message: `owner reports status ${result.status}` }]);
    }
    ctx.metrics.commands.inc({ type, outcome: 'applied' });
    const next: Alert = result.event ? alertFromEvent(result.event) : { ...alert, status: result.status === 'unknown' ? alert.status : result.status };
    const applied: CommandApplied = { commandId: cmd.commandId, alert: next };
    return reply.code(200).send(applied);
  };

  app.post('/alerts/:id/acknowledge', { schema: alertCommandRoute('acknowledge'), config: { role: 'operate' } }, command('acknowledge'));
  app.post('/alerts/:id/resolve', { schema: alertCommandRoute('resolve'), config: { role: 'operate' } }, command('resolve'));
}
