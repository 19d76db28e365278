/** The API's pipeline check: stall alerts fail it, and the group id reaches SQL only as a quoted literal. */
import { describe, expect, it } from 'vitest';
import { pipelineCheck } from '../../../api/routes/status.ts';
import { openPipelineStallsQuery } from '../../../api/queries/alerts.ts';
import { tablesIn } from '../../../api/queries/tables.ts';
import { stallRuleId } from '../../../pipeline/alerts/pipeline-alerts.ts';

const group = { groupId: 'g', state: 'Stable', members: 1, lag: 5 };

describe('pipelineCheck with stall alerts', () => {
  it('fails naming the stalled partitions and the first reason', () => {
    const stalls = [
      { a_rule_id: stallRuleId('g', 'vigil.metrics', 3), a_reason: 'partition 3: Kafka produce failed 9 times', a_opened_at_ms: '1700000000000' },
      { a_rule_id: stallRuleId('g', 'vigil.metrics', 7), a_reason: 'partition 7: ClickHouse insert failed 2 times', a_opened_at_ms: 1700000001000 },
    ];
    const c = pipelineCheck(group, stalls);
    expect(c.status).toBe('fail');
    expect(c.message).toBe('pipeline partitions 3, 7 stalled: partition 3: Kafka produce failed 9 times');
    expect(c.details?.stalled).toEqual([
      { rule: 'partition-stalled:g:vigil.metrics:3', since: 1700000000000, reason: 'partition 3: Kafka produce failed 9 times' },
      { rule: 'partition-stalled:g:vigil.metrics:7', since: 1700000001000, reason: 'partition 7: ClickHouse insert failed 2 times' },
    ]);
  });

  it('is unchanged without stalls', () => {
    expect(pipelineCheck(group, []).status).toBe('ok');
    expect(pipelineCheck({ ...group, members: 0 }).status).toBe('warn');
  });
});

describe('openPipelineStallsQuery', () => {
  it('binds a hostile group id as an escaped literal of the right byte length', () => {
    const hostile = "g' OR 1=1 -- é\\";
    const text = openPipelineStallsQuery(tablesIn('vigil'), hostile).toString();
    expect(text).not.toContain("g' OR");
    expect(text).toContain("'partition-stalled:g\\' OR 1=1 -- é\\\\:'");
    expect(text).toContain(`substring(rule_id, 1, ${Buffer.byteLength(`partition-stalled:${hostile}:`)})`);
  });
});
