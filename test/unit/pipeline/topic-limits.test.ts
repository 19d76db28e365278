import { describe, expect, it } from 'vitest';
import { BATCH_FRAMING_BYTES, produceBudget } from '../../../pipeline/kafka/topic-limits.ts';

describe('produceBudget', () => {
  it('keeps the configured budget when the topics allow it or do not say', () => {
    expect(produceBudget(1_000_000, 1_048_588)).toBe(1_000_000);
    expect(produceBudget(1_000_000, undefined)).toBe(1_000_000);
  });
  it('lowers it below a smaller topic limit, leaving room for batch framing', () => {
    expect(produceBudget(1_000_000, 100_000)).toBe(100_000 - BATCH_FRAMING_BYTES);
    expect(produceBudget(1_000_000, 10)).toBe(1024);
  });
});
