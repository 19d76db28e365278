/**
 * Reads framed Avro records: finds the writer schema (fingerprint or Confluent id), checks
 * the body's bounds, then reads it with the current reader schema through an avsc resolver.
 * Resolvers and guards are built once per (writer, reader) pair and reused for every record.
 */
import type avro from 'avsc';
import type { SchemaEntry, SchemaRegistry } from '../../schemas/avro/registry.ts';
import { compileBodyGuard, type BodyGuard } from './body-guard.ts';
import { readFrame, type Framing } from './framing.ts';

export type ReadFailureReason = 'bad-framing' | 'unknown-schema' | 'incompatible-schema' | 'decode-error' | 'reserved-key';

export type ReadResult<T> =
  | { ok: true; value: T; writer: SchemaEntry; reader: SchemaEntry; framing: Framing }
  | { ok: false; reason: ReadFailureReason; detail: string };

interface Plan {
  reader: SchemaEntry;
  /** null when writer and reader are the same schema (no resolution needed). */
  resolver: ReturnType<avro.Type["createResolver"]> | null;
  guard: BodyGuard;
  /** Set when the writer cannot be read as the reader; cached so a bad stream stays cheap. */
  incompatible: string | null;
}

export class AvroRecordReader {
  private readonly plans = new Map<SchemaEntry, Map<string, Plan>>();
  private readonly guards = new Map<SchemaEntry, BodyGuard>();

  constructor(readonly registry: SchemaRegistry) {}

  private guardFor(writer: SchemaEntry): BodyGuard {
    let guard = this.guards.get(writer);
    if (!guard) {
      guard = compileBodyGuard(writer.type);
      this.guards.set(writer, guard);
    }
    return guard;
  }

  // The last plan used: a topic's records nearly always share one writer schema.
  private lastWriter: SchemaEntry | null = null;
  private lastReaderName = '';
  private lastPlan: Plan | null = null;

  private plan(writer: SchemaEntry, readerName: string): Plan {
    if (writer === this.lastWriter && readerName === this.lastReaderName) return this.lastPlan!;
    const plan = this.lookupPlan(writer, readerName);
    this.lastWriter = writer;
    this.lastReaderName = readerName;
    this.lastPlan = plan;
    return plan;
  }

  private lookupPlan(writer: SchemaEntry, readerName: string): Plan {
    let byReader = this.plans.get(writer);
    if (!byReader) {
      byReader = new Map();
      this.plans.set(writer, byReader);
    }
    let plan = byReader.get(readerName);
    if (plan) return plan;
    const reader = this.registry.latest(readerName);
    const guard = this.guardFor(writer);
    if (writer === reader) {
      plan = { reader, resolver: null, guard, incompatible: null };
    } else {
      try {
        plan = { reader, resolver: reader.type.createResolver(writer.type), guard, incompatible: null };
      } catch (err) {
        plan = {
          reader,
          resolver: null,
          guard,
          incompatible: `writer ${writer.name} v${writer.version} cannot be read as ${reader.name} v${reader.version}: ${(err as Error).message}`,
        };
      }
    }
    byReader.set(readerName, plan);
    return plan;
  }

  /**
   * Read `buf` as `readerName` (full name), or as the latest version of whatever record the
   * writer wrote when `readerName` is omitted. Never throws.
   */
  read<T = unknown>(buf: Buffer, readerName?: string): ReadResult<T> {
    const frame = readFrame(buf, this.registry);
    if (!frame.ok) return frame;
    const writer = frame.entry;
    if (readerName === undefined) readerName = writer.name;
    let plan: Plan;
    try {
      plan = this.plan(writer, readerName);
    } catch (err) {
      return { ok: false, reason: 'incompatible-schema', detail: (err as Error).message };
    }
    if (plan.incompatible !== null) return { ok: false, reason: 'incompatible-schema', detail: plan.incompatible };
    const problem = plan.guard(buf, frame.bodyOffset);
    if (problem !== null) {
      return {
        ok: false,
        reason: problem.kind === 'reserved-key' ? 'reserved-key' : 'decode-error',
        detail: `${writer.name} v${writer.version}: ${problem.message}`,
      };
    }
    try {
      const decoded = plan.resolver
        ? plan.reader.type.decode(buf, frame.bodyOffset, plan.resolver)
        : plan.reader.type.decode(buf, frame.bodyOffset);
      if (decoded.offset !== buf.length) {
        return { ok: false, reason: 'decode-error', detail: `${writer.name} v${writer.version}: body does not end where the record does` };
      }
      return { ok: true, value: decoded.value as T, writer, reader: plan.reader, framing: frame.framing };
    } catch (err) {
      // avsc throws e.g. on longs beyond 2^53 ("potential precision loss").
      return { ok: false, reason: 'decode-error', detail: `${writer.name} v${writer.version}: ${(err as Error).message}` };
    }
  }
}
