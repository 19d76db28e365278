/**
 * On a ClickHouse cluster a retried points INSERT must be the very block of the attempt whose
 * answer was lost (replicated deduplication drops it only then): the write stage keeps one
 * ingested_at for every attempt of a batch, and a sink with combinePoints: false sends each
 * batch's points as their own INSERT, never merged with another batch's.
 */
import { describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import { topicNames, loadConfig } from '../../../core/config.ts';
import type { ProcessedBatch } from '../../../pipeline/processor/score-points.ts';
import { emptyOutputs } from '../../../pipeline/runtime/outputs.ts';
import { writeBatch } from '../../../pipeline/runtime/stages/write.ts';
import type { BatchRetry } from '../../../pipeline/runtime/batch-retry.ts';
import { PartitionState } from '../../../pipeline/state/partition-state.ts';
import { ClickHouseSink } from '../../../pipeline/storage/writer.ts';
import type { ScoredPoint } from '../../../schemas/records.ts';
import { point } from './points-fixture.ts';

const at = (offset: number, partition = 0): ScoredPoint => ({ ...point, partition, offset: String(offset), timestamp: point.timestamp + offset });

/** A client whose points INSERTs are recorded (bytes per INSERT) and answered after `delayMs`. */
function recordingClient(delayMs = 0) {
  const inserts: Buffer[] = [];
  const client = {
    async exec({ values }: { values: AsyncIterable<Buffer> }) {
      const parts: Buffer[] = [];
      for await (const chunk of values) parts.push(chunk);
      inserts.push(Buffer.concat(parts));
      await new Promise((r) => setTimeout(r, delayMs));
      return { stream: (async function* () {})() };
    },
  } as unknown as ClickHouseClient;
  return { client, inserts };
}

describe('ClickHouseSink on a cluster (combinePoints: false)', () => {
  it('sends concurrent batches as separate INSERTs, each the same bytes when sent again with the same ingested_at', async () => {
    const { client, inserts } = recordingClient(20);
    const sink = new ClickHouseSink(client, 'db', { combinePoints: false });
    const a = [at(1), at(2)];
    const b = [at(7, 1)];
    await Promise.all([sink.writePoints(a, 1_700_000_000_000), sink.writePoints(b, 1_700_000_000_000)]);
    expect(inserts).toHaveLength(2);
    await sink.writePoints(a, 1_700_000_000_000);
    expect(inserts[2].equals(inserts[0])).toBe(true);
    // A different ingested_at is a different block (what the write stage must not do on retry).
    await sink.writePoints(a, 1_700_000_005_000);
    expect(inserts[3].equals(inserts[0])).toBe(false);
  });

  it('combines concurrent batches by default (one server), so the option is what keeps them apart', async () => {
    const { client, inserts } = recordingClient(50);
    const sink = new ClickHouseSink(client, 'db');
    await Promise.all([sink.writePoints([at(1)]), sink.writePoints([at(2)]), sink.writePoints([at(3)])]);
    expect(inserts.length).toBeLessThan(3);
  });
});

describe('writeBatch retrying a points INSERT whose answer was lost', () => {
  it('sends the same rows with the same ingested_at, after asking what is stored', async () => {
    const calls: Array<{ offsets: string[]; nowMs: number | undefined }> = [];
    let attempts = 0;
    const sink = {
      async writePoints(points: ScoredPoint[], nowMs?: number) {
        calls.push({ offsets: points.map((p) => p.offset), nowMs });
        if (++attempts === 1) {
          await new Promise((r) => setTimeout(r, 1100)); // a second later: Date.now() has moved on
          throw new Error('socket hang up');
        }
      },
      async writeDerived() {},
      async maxInsertedOffset() {
        return -1n; // the replica asked has not (yet) got the lost attempt's part
      },
    } as unknown as ClickHouseSink;
    const retry: BatchRetry = async (_what, fn) => {
      for (;;) {
        try {
          return await fn();
        } catch {
          // retried at once
        }
      }
    };
    const producer = { sendBatch: async () => [] } as unknown as Producer;
    const config = loadConfig({ env: {} });
    const processed = { scored: [at(1), at(2), at(3)], anomalies: [], alerts: [], sla: [], lastBySeries: new Map(), duplicates: [], conflicts: [] } as unknown as ProcessedBatch;
    await writeBatch({ sink, producer, topics: topicNames(config), encoder: (() => Buffer.alloc(0)) as never, publish: { maxBytes: 1_000_000 }, retry }, new PartitionState(0), processed, emptyOutputs(), undefined as never);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(calls[0]);
    expect(calls[0].nowMs).toBeTypeOf('number');
  });
});
