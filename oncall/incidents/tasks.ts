/**
 * The two tasks of the incident topology (Kafka Streams style):
 *   repartition: <prefix>alerts (key = series) → <prefix>alerts.by-group (key = group key)
 *   incidents:   <prefix>alerts.by-group partition p → <prefix>incidents partition p
 * Both run in transactional lanes (transactional-lane.ts); the incident task's state is the
 * latest incident per group key, rebuilt from the incidents changelog when it is created.
 */
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';
import { decodeEvent, encodeEvent } from '../../pipeline/codec/events.ts';
import type { AlertEvent, IncidentEvent } from '../../schemas/records.ts';
import { groupOf, type Group, type OncallPolicy } from './grouping.ts';
import { applyAlertEvent, type IncidentPolicy } from './incident-state.ts';
import type { LaneTask, TransformResult } from './transactional-lane.ts';

export const GROUP_LABELS_HEADER = 'vigil-group-labels';

function decodeAlert(m: KafkaMessage): AlertEvent | string {
  if (!m.value) return 'tombstone';
  try {
    const decoded = decodeEvent(m.value);
    return decoded.kind === 'alert' ? decoded.record : `a ${decoded.kind} event, not an alert event`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export interface SkipCounter {
  skipped(reason: 'undecodable' | 'no-incident', n?: number): void;
}

/**
 * Re-keys alert events by group key. The group labels travel in a header so the incident task
 * uses exactly the grouping decided here, even if the config changes in between.
 */
export function repartitionTask(policy: OncallPolicy, logger: Logger, counter: SkipCounter): LaneTask {
  return {
    transform(messages): TransformResult {
      const outputs = [];
      for (const m of messages) {
        const alert = decodeAlert(m);
        if (typeof alert === 'string') {
          // The pipeline is this topic's only writer; a record it could not have written is logged, not guessed at.
          logger.warn({ offset: m.offset, problem: alert }, 'record on the alerts topic is not an alert event; skipped');
          counter.skipped('undecodable');
          continue;
        }
        const group = groupOf(alert, policy);
        if (!group) {
          counter.skipped('no-incident');
          continue;
        }
        outputs.push({
          message: {
            key: group.groupKey,
            value: m.value,
            headers: { [GROUP_LABELS_HEADER]: JSON.stringify(group.groupLabels), 'vigil-event-id': alert.eventId, 'vigil-kind': 'alert' },
          },
        });
      }
      return { outputs, commit: () => undefined };
    },
  };
}

function groupFromMessage(m: KafkaMessage): Group | null {
  const key = m.key?.toString('utf8');
  const header = m.headers?.[GROUP_LABELS_HEADER];
  if (!key || !header) return null;
  try {
    const labels = JSON.parse(Buffer.isBuffer(header) ? header.toString('utf8') : String(header)) as unknown;
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || !Object.values(labels).every((v) => typeof v === 'string')) return null;
    return { groupKey: key, groupLabels: labels as Record<string, string> };
  } catch {
    return null;
  }
}

/**
 * Applies alert events to the latest incident of their group and emits the incident events,
 * to the same partition number of the incidents topic (the changelog the state comes from).
 */
export function incidentTask(partition: number, state: Map<string, IncidentEvent>, rules: IncidentPolicy, logger: Logger, counter: SkipCounter, onEvents?: (events: IncidentEvent[]) => void): LaneTask {
  return {
    transform(messages): TransformResult {
      const changed = new Map<string, IncidentEvent>();
      const emitted: IncidentEvent[] = [];
      for (const m of messages) {
        const alert = decodeAlert(m);
        const group = groupFromMessage(m);
        if (typeof alert === 'string' || !group) {
          logger.warn({ partition, offset: m.offset, problem: typeof alert === 'string' ? alert : 'no group key or labels' }, 'record on the by-group topic skipped');
          counter.skipped('undecodable');
          continue;
        }
        const prev = changed.get(group.groupKey) ?? state.get(group.groupKey) ?? null;
        const next = applyAlertEvent(prev, group, alert, rules);
        if (!next) continue;
        changed.set(group.groupKey, next);
        emitted.push(next);
      }
      return {
        outputs: emitted.map((e) => ({
          partition,
          message: { key: e.groupKey, value: encodeEvent('incident', e), headers: { 'vigil-event-id': e.eventId, 'vigil-kind': 'incident' } },
        })),
        commit: () => {
          for (const [k, v] of changed) state.set(k, v);
          onEvents?.(emitted);
        },
      };
    },
  };
}
