/** GET /api/v1/notifications and /notifications/:id — the notifier's log, read from ClickHouse. */
import type { FastifyInstance } from 'fastify';
import type { IdParams, Page } from '../../schemas/http/common.ts';
import { getNotificationRoute, listNotificationsRoute, type ListNotificationsQuery, type NotificationView } from '../../schemas/http/notifications.ts';
import { notFound } from '../http-error.ts';
import { decodeCursor, pageFrom } from '../paging.ts';
import { splitCommaLists } from '../plugins/validation.ts';
import {
  listNotificationsQuery,
  notificationCursorPosition,
  notificationDetail,
  notificationFromRow,
  notificationAttemptsQuery,
  notificationPayloadQuery,
  type NotificationAttemptRow,
  type NotificationRowOut,
} from '../queries/notifications.ts';
import { parseRange } from '../time.ts';
import type { RouteContext } from './context.ts';

export default async function notificationRoutes(app: FastifyInstance, ctx: RouteContext) {
  app.get('/notifications', { schema: listNotificationsRoute, preValidation: async (req) => splitCommaLists(req.query, ['result', 'kind']) }, async (req): Promise<Page<NotificationView>> => {
    const q = req.query as ListNotificationsQuery;
    const range = parseRange(q);
    const scope = `notifications:${q.order}`;
    const after = q.cursor === undefined ? undefined : decodeCursor(scope, q.cursor);
    const rows = await ctx.deps.clickhouse.query<NotificationRowOut>(
      listNotificationsQuery(ctx.tables, { receiver: q.receiver, incident: q.incident, result: q.result, kind: q.kind, ...range }, q.order, q.limit, after),
    );
    return pageFrom(rows, q.limit, scope, notificationFromRow, notificationCursorPosition);
  });

  app.get('/notifications/:id', { schema: getNotificationRoute }, async (req) => {
    const { id } = req.params as IdParams;
    const [row] = await ctx.deps.clickhouse.query<NotificationRowOut>(listNotificationsQuery(ctx.tables, {}, 'desc', 1, undefined, id));
    if (!row) throw notFound(`no notification with id ${id}`);
    const [attempts, [stored]] = await Promise.all([
      ctx.deps.clickhouse.query<NotificationAttemptRow>(notificationAttemptsQuery(ctx.tables, id)),
      ctx.deps.clickhouse.query<{ payload: string }>(notificationPayloadQuery(ctx.tables, id)),
    ]);
    return notificationDetail(notificationFromRow(row), stored?.payload ?? '', attempts);
  });
}
