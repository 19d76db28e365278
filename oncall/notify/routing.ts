/**
 * The routing tree, evaluated like Alertmanager's: the root matches every incident; its
 * children are tried in order and the first that matches wins, unless it has `continue`, in
 * which case later siblings are tried too; a route none of whose children match is itself the
 * match. Receiver and timers are inherited from the parent unless a route sets them.
 */
import type { NotifyConfig, RouteConfig } from '../../core/notify-config.ts';
import { matchesAll, parseMatcher, type LabelMatcher } from './matchers.ts';

export interface GroupTimers {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

/** A route with its matchers compiled and its inherited settings resolved. */
export interface CompiledRoute extends GroupTimers {
  id: string;
  receiver: string;
  matchers: LabelMatcher[];
  continue: boolean;
  routes: CompiledRoute[];
}

export interface RouteMatch extends GroupTimers {
  routeId: string;
  receiver: string;
}

function compile(route: RouteConfig, parent: Omit<CompiledRoute, 'id' | 'matchers' | 'continue' | 'routes'>, id: string): CompiledRoute {
  const matchers = route.matchers.map((text) => {
    const parsed = parseMatcher(text);
    // The config schema already refused bad matchers; this guards direct callers.
    if (!parsed.ok) throw new Error(`route ${id}: ${parsed.reason}`);
    return parsed.matcher;
  });
  const settings = {
    receiver: route.receiver ?? parent.receiver,
    groupWaitMs: route.groupWaitMs ?? parent.groupWaitMs,
    groupIntervalMs: route.groupIntervalMs ?? parent.groupIntervalMs,
    repeatIntervalMs: route.repeatIntervalMs ?? parent.repeatIntervalMs,
  };
  return {
    id: route.id ?? id,
    ...settings,
    matchers,
    continue: route.continue,
    routes: route.routes.map((child, i) => compile(child, settings, `${id}.${i}`)),
  };
}

/** Compiles notify.route; null when no route is configured (nothing is notified). */
export function compileRoutes(notify: Pick<NotifyConfig, 'route' | 'groupWaitMs' | 'groupIntervalMs' | 'repeatIntervalMs'>): CompiledRoute | null {
  if (!notify.route) return null;
  const defaults = { receiver: '', groupWaitMs: notify.groupWaitMs, groupIntervalMs: notify.groupIntervalMs, repeatIntervalMs: notify.repeatIntervalMs };
  return compile({ ...notify.route, matchers: [] }, defaults, 'root');
}

function walk(route: CompiledRoute, labels: Readonly<Record<string, string>>, out: RouteMatch[]): void {
  const before = out.length;
  for (const child of route.routes) {
    if (!matchesAll(child.matchers, labels)) continue;
    walk(child, labels, out);
    if (!child.continue) break;
  }
  if (out.length === before) {
    out.push({ routeId: route.id, receiver: route.receiver, groupWaitMs: route.groupWaitMs, groupIntervalMs: route.groupIntervalMs, repeatIntervalMs: route.repeatIntervalMs });
  }
}

/** Every (route, receiver) an incident with these labels is notified through, in tree order. */
export function matchRoutes(root: CompiledRoute | null, labels: Readonly<Record<string, string>>): RouteMatch[] {
  if (!root) return [];
  const out: RouteMatch[] = [];
  walk(root, labels, out);
  return out;
}
