/**
 * The `oncall` config section: how alerts become incidents (grouping, inhibition, no-data
 * handling) and the on-call process's HTTP endpoint. Part of the one config object
 * (core/config.ts); documented in docs/oncall.md.
 */
import { z } from 'zod';
import { SEVERITIES } from '../schemas/records.ts';
import { matcherText } from './notify-config.ts';

/** Labels an alert carries for grouping, inhibition and no-data rules (see docs/oncall.md). */
export const ONCALL_GROUP_LABELS = ['source', 'metric', 'kind', 'alertname'] as const;

/** `tag:<key>`: a series tag as a label (oncall/silences/labels.ts); the key as ingest allows it. */
const TAG_LABEL = /^tag:[^\u0000-\u001f\u007f-\u009f]{1,256}$/u;

const labelName = z
  .string()
  .regex(/^(?:[A-Za-z_][A-Za-z0-9_]*|tag:[^\u0000-\u001f\u007f-\u009f]{1,256})$/u, 'a label name is letters, digits and underscores, or tag:<tag key> for a series tag');

/** A groupBy entry: one of the fixed labels, or `tag:<key>` (a missing tag groups as ""). */
const groupLabel = z.string().refine((v) => (ONCALL_GROUP_LABELS as readonly string[]).includes(v) || TAG_LABEL.test(v), {
  error: (issue) =>
    `${JSON.stringify(String(issue.input).slice(0, 80))} is not a group label: use ${ONCALL_GROUP_LABELS.join(', ')} or tag:<tag key> (e.g. tag:team)`,
});

const groupByList = z
  .array(groupLabel)
  .min(1)
  .refine((list) => new Set(list).size === list.length, { error: 'lists a label twice' });

export const oncallSchema = z
  .object({
    /** Alerts open together with equal values of these labels form one incident (Alertmanager's group_by). */
    groupBy: groupByList.default(['source', 'metric']),
    /**
     * Alertmanager's inhibit_rules, within one incident: an unresolved alert matching every
     * sourceMatcher mutes the alerts matching every targetMatcher that share the `equal` labels.
     */
    inhibitRules: z
      .array(
        z
          .object({
            sourceMatchers: z.array(matcherText).min(1),
            targetMatchers: z.array(matcherText).min(1),
            equal: z.array(labelName).default([]),
          })
          .strict(),
      )
      .default([{ sourceMatchers: ['severity="critical"'], targetMatchers: ['severity=~"high|medium|low|info"'], equal: [] }]),
    nodata: z
      .object({
        /** No-data alerts group by these labels instead of groupBy: one incident per silent source by default. */
        groupBy: groupByList.default(['source']),
        /**
         * First matching rule decides a no-data alert's severity in its incident and whether it
         * opens an incident at all (`alert: false`: a series that stops for good stays quiet).
         * `source` / `metric` null = any. The last rule is the default.
         */
        rules: z
          .array(
            z
              .object({
                source: z.string().min(1).nullable().default(null),
                metric: z.string().min(1).nullable().default(null),
                severity: z.enum(SEVERITIES),
                alert: z.boolean().default(true),
              })
              .strict(),
          )
          .default([{ source: null, metric: null, severity: 'low', alert: true }]),
      })
      .strict()
      .prefault({}),
    /** The oncall process's GET /metrics and GET /health; 0 = any free port, -1 = off. */
    httpHost: z.string().min(1).default('127.0.0.1'),
    httpPort: z.number().int().min(-1).max(65535).default(9465),
  })
  .strict();
