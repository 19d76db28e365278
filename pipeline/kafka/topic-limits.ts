/**
 * The produce budget the output topics really allow. A configured pipeline.maxProduceBytes above a
 * topic's max.message.bytes would let a dead letter through the truncation that the broker then
 * refuses, so the budget is lowered to the smallest topic limit less the record batch framing.
 */
import kafkajs, { type Admin } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';

/** Record batch header (61 bytes) and log overhead, rounded up generously. */
export const BATCH_FRAMING_BYTES = 1024;

/** Smallest max.message.bytes over `topics`, or undefined when the broker does not say. */
export async function smallestMaxMessageBytes(admin: Admin, topics: readonly string[]): Promise<number | undefined> {
  const { resources } = await admin.describeConfigs({
    resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    includeSynonyms: false,
  });
  const limits = resources.flatMap((r) => r.configEntries.filter((e) => e.configName === 'max.message.bytes').map((e) => Number(e.configValue)));
  const valid = limits.filter((n) => Number.isFinite(n) && n > 0);
  return valid.length > 0 ? Math.min(...valid) : undefined;
}

/** `configured`, lowered to fit `topicLimit` (pure). */
export function produceBudget(configured: number, topicLimit: number | undefined): number {
  if (topicLimit === undefined) return configured;
  return Math.max(1024, Math.min(configured, topicLimit - BATCH_FRAMING_BYTES));
}

/** The effective budget for this process; a broker that cannot tell keeps the configured one. */
export async function resolveProduceBudget(admin: Admin, topics: readonly string[], configured: number, logger: Logger): Promise<number> {
  try {
    const limit = await smallestMaxMessageBytes(admin, topics);
    const budget = produceBudget(configured, limit);
    if (budget < configured) logger.warn({ configured, topicLimit: limit, budget }, 'pipeline.maxProduceBytes is above what the output topics accept: using the smaller budget');
    return budget;
  } catch (err) {
    logger.warn({ err, configured }, 'cannot read max.message.bytes of the output topics: using pipeline.maxProduceBytes as configured');
    return configured;
  }
}
