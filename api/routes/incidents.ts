/**
 * Incidents: list (latest state), detail with timeline, and acknowledge / resolve. An incident
 * command is the alert commands of its open alerts, sent through the same command path as
 * the Alerts view (the owner of each series applies its own); the incident follows when the
 * on-call process sees those transitions. Nothing here writes ClickHouse.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AlertCommand, IncidentAlert } from '../../schemas/records.ts';
import type { IdParams, Page } from '../../schemas/http/common.ts';
import type { AlertCommandBody } from '../../schemas/http/alerts.ts';
import {
  getIncidentRoute,
  incidentCommandRoute,
  listIncidentsRoute,
  type Incident,
  type IncidentCommandResult,
  type ListIncidentsQuery,
} from '../../schemas/http/incidents.ts';
import { conflict, notFound } from '../http-error.ts';
import { decodeCursor, pageFrom } from '../paging.ts';
import { actorOf } from '../plugins/auth.ts';
import { splitCommaLists } from '../plugins/validation.ts';
import {
  incidentCursorPosition,
  incidentFromRow,
  incidentFromTimeline,
  incidentTimelineQuery,
  listIncidentsQuery,
  stepFromRow,
  type IncidentEventRow,
  type IncidentStateRow,
} from '../queries/incidents.ts';
import { parseRange } from '../time.ts';
import type { RouteContext } from './context.ts';

type CommandType = AlertCommand['type'];

/** The alerts a command applies to (empty: nothing to do from the incident's state). */
export function commandTargets(type: CommandType, incident: Incident): IncidentAlert[] {
  if (incident.status === 'resolved') return [];
  return incident.alerts.filter((a) => (type === 'acknowledge' ? a.status === 'firing' : a.status !== 'resolved'));
}

export default async function incidentRoutes(app: FastifyInstance, ctx: RouteContext) {
  const loadTimeline = (id: string) => ctx.deps.clickhouse.query<IncidentEventRow>(incidentTimelineQuery(ctx.tables, id));

  app.get(
    '/incidents',
    { schema: listIncidentsRoute, preValidation: async (req) => splitCommaLists(req.query, ['status', 'severity']) },
    async (req): Promise<Page<Incident>> => {
      const q = req.query as ListIncidentsQuery;
      const scope = `incidents:${q.sort}:${q.order}`;
      const after = q.cursor === undefined ? undefined : decodeCursor(scope, q.cursor);
      const rows = await ctx.deps.clickhouse.query<IncidentStateRow>(
        listIncidentsQuery(ctx.tables, { status: q.status, severity: q.severity, source: q.source, metric: q.metric, alert: q.alert, ...parseRange(q) }, q.sort, q.order, q.limit, after),
      );
      return pageFrom(rows, q.limit, scope, incidentFromRow, incidentCursorPosition);
    },
  );

  app.get('/incidents/:id', { schema: getIncidentRoute }, async (req) => {
    const { id } = req.params as IdParams;
    const rows = await loadTimeline(id);
    const incident = incidentFromTimeline(rows);
    if (!incident) throw notFound(`no incident with id ${id}`);
    return { incident, timeline: rows.map(stepFromRow) };
  });

  const command = (type: CommandType) => async (req: FastifyRequest, reply: FastifyReply) => {
    const { id } = req.params as IdParams;
    const body = (req.body ?? {}) as AlertCommandBody;
    const incident = incidentFromTimeline(await loadTimeline(id));
    if (!incident) throw notFound(`no incident with id ${id}`);
    const targets = commandTargets(type, incident);
    if (targets.length === 0) {
      ctx.metrics.commands.inc({ type, outcome: 'conflict' });
      const why = incident.status === 'resolved' ? 'it is already resolved' : 'none of its alerts is firing';
      throw conflict(`cannot ${type} incident ${incident.incidentId}: ${why}`, [{ path: 'status', message: `current status is ${incident.status}` }]);
    }
    const actor = actorOf(req);
    const issuedAt = ctx.now();
    const results = await Promise.all(
      targets.map(async (alert): Promise<IncidentCommandResult['results'][number]> => {
        const cmd: AlertCommand = { commandId: randomUUID(), type, alertId: alert.alertId, source: alert.source, metric: alert.metric, actor, comment: body.comment ?? '', issuedAt };
        const result = await ctx.deps.commands.issue(cmd, ctx.config.api.commandWaitMs);
        const outcome = result === null ? 'pending' : result.applied ? 'applied' : 'refused';
        ctx.metrics.commands.inc({ type, outcome });
        return { alertId: alert.alertId, commandId: cmd.commandId, outcome, ...(result ? { status: result.status } : {}), reason: result?.reason ?? `no answer within ${ctx.config.api.commandWaitMs} ms` };
      }),
    );
    req.log.info({ incidentId: incident.incidentId, type, actor, outcomes: results.map((r) => r.outcome) }, 'incident command');
    const answer: IncidentCommandResult = { incidentId: incident.incidentId, results };
    return reply.code(results.some((r) => r.outcome === 'pending') ? 202 : 200).send(answer);
  };

  app.post('/incidents/:id/acknowledge', { schema: incidentCommandRoute('acknowledge'), config: { role: 'operate' } }, command('acknowledge'));
  app.post('/incidents/:id/resolve', { schema: incidentCommandRoute('resolve'), config: { role: 'operate' } }, command('resolve'));
}
