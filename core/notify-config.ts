/**
 * The `notify` section of the config object (core/config.ts): receivers, the routing tree and
 * the grouping timers, with the same validation the API applies to receivers it is given.
 * Defaults follow Alertmanager's (group_wait 30 s, group_interval 5 m, repeat_interval 4 h).
 */
import { z } from 'zod';
import { parseMatcher } from '../oncall/notify/matchers.ts';

export const RECEIVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const httpUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      const url = new URL(u);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

const receiverBase = {
  name: z.string().regex(RECEIVER_NAME, 'receiver names are letters, digits, _ . - (max 64)'),
  /** Send a notification when the incident resolves (Alertmanager's send_resolved). */
  sendResolved: z.boolean().default(true),
  /** Per-attempt HTTP timeout; default notify.timeoutMs. */
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
};

export const webhookReceiverSchema = z
  .object({
    ...receiverBase,
    type: z.literal('webhook'),
    url: httpUrl,
    /** HMAC-SHA256 key for X-Vigil-Signature; receivers verify it and the timestamp. */
    secret: z.string().min(16, 'webhook secrets must be at least 16 characters').max(512),
  })
  .strict();

export const slackReceiverSchema = z
  .object({
    ...receiverBase,
    type: z.literal('slack'),
    /** The incoming-webhook URL (it carries Slack's token: treated as a secret). */
    url: httpUrl,
    channel: z.string().max(80).optional(),
    username: z.string().max(80).optional(),
  })
  .strict();

export const alertmanagerReceiverSchema = z
  .object({
    ...receiverBase,
    type: z.literal('alertmanager'),
    /** Any endpoint that accepts Alertmanager's webhook_config payload (version 4). */
    url: httpUrl,
    /** Optional bearer token sent as Authorization (never echoed by the API). */
    bearerToken: z.string().min(1).max(4096).optional(),
  })
  .strict();

export const receiverSchema = z.discriminatedUnion('type', [webhookReceiverSchema, slackReceiverSchema, alertmanagerReceiverSchema]);
export type ReceiverConfig = z.infer<typeof receiverSchema>;
export type ReceiverType = ReceiverConfig['type'];

/** An Alertmanager text matcher (`severity="critical"`), validated by the silences module. */
export const matcherText = z.string().superRefine((text, ctx) => {
  const parsed = parseMatcher(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
});

const timerMs = z.number().int().min(0).max(30 * 86_400_000);

export interface RouteConfig {
  id?: string;
  receiver?: string;
  matchers: string[];
  continue: boolean;
  groupWaitMs?: number;
  groupIntervalMs?: number;
  repeatIntervalMs?: number;
  routes: RouteConfig[];
}

export const routeSchema: z.ZodType<RouteConfig> = z.lazy(() =>
  z
    .object({
      /** Stable id (part of the notification group id); default = its position, e.g. root.1.0. */
      id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
      receiver: z.string().regex(RECEIVER_NAME).optional(),
      matchers: z.array(matcherText).max(32).default([]),
      /** Keep evaluating later siblings after this route matched (Alertmanager's continue). */
      continue: z.boolean().default(false),
      groupWaitMs: timerMs.optional(),
      groupIntervalMs: timerMs.min(1000).optional(),
      repeatIntervalMs: timerMs.min(1000).optional(),
      routes: z.array(routeSchema).max(64).default([]),
    })
    .strict(),
) as z.ZodType<RouteConfig>;

/** Every receiver name a route tree refers to. */
export function routeReceivers(route: RouteConfig, out: string[] = []): string[] {
  if (route.receiver) out.push(route.receiver);
  for (const child of route.routes) routeReceivers(child, out);
  return out;
}

export const notifySchema = z
  .object({
    /** Off = the on-call process does not start the notifier. */
    enabled: z.boolean().default(true),
    receivers: z.array(receiverSchema).max(256).default([]),
    /** The routing tree; the root matches every incident and names the default receiver. */
    route: routeSchema.optional(),
    groupWaitMs: timerMs.default(30_000),
    groupIntervalMs: timerMs.min(1000).default(300_000),
    repeatIntervalMs: timerMs.min(1000).default(14_400_000),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    retries: z
      .object({
        /** Attempts per notification, the first included; after the last a dead-letter row is written. */
        maxAttempts: z.number().int().min(1).max(20).default(5),
        initialDelayMs: z.number().int().min(10).default(1000),
        maxDelayMs: z.number().int().min(10).default(60_000),
        /** Each delay is drawn from [d·(1−jitter), d]: instances retrying together spread out. */
        jitter: z.number().min(0).max(1).default(0.3),
      })
      .strict()
      .prefault({}),
    /** Base of links in notifications (incident page, externalURL of Alertmanager payloads). */
    dashboardUrl: httpUrl.default('http://127.0.0.1:8080'),
    /** How often notification groups are evaluated (their timers fire on this tick). */
    tickMs: z.number().int().min(10).max(60_000).default(1000),
    /** Notification state younger than this is reloaded on start (older groups are finished). */
    stateRetentionMs: z.number().int().min(60_000).default(7 * 86_400_000),
  })
  .strict()
  .superRefine((notify, ctx) => {
    const names = new Set<string>();
    notify.receivers.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'name'], message: `receiver ${r.name} is defined twice` });
      names.add(r.name);
    });
    if (!notify.route) return;
    // Route receivers may also be defined later through the API (the receivers topic), so a
    // name not in notify.receivers is not refused here; the notifier warns about it at start.
    if (!notify.route.receiver) ctx.addIssue({ code: 'custom', path: ['route', 'receiver'], message: 'the root route must name a receiver (the default)' });
  });

export type NotifyConfig = z.infer<typeof notifySchema>;
