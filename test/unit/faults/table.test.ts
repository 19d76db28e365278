/** The fault table writer (test/faults/support/table.ts): rows by number, old rows kept, markers required. */
import { describe, expect, it } from 'vitest';
import { TABLE_END, TABLE_START, formatRow, withTable, type FaultRow } from '../../faults/support/table.ts';

const row = (order: number, extra: Partial<FaultRow> = {}): FaultRow => ({
  order,
  fault: `fault ${order}`,
  load: '76,800 points',
  duration: '20 s',
  produced: 76800,
  stored: 76800,
  duplicated: 0,
  lost: 0,
  anomaliesExpected: 15,
  anomaliesSeen: 15,
  transitionsExpected: 34,
  transitionsSeen: 34,
  recoveryMs: 1234,
  notes: 'a | b',
  ...extra,
});

const doc = `# t\n\n${TABLE_START}\nNot generated yet.\n${TABLE_END}\n\nafter\n`;

describe('fault table', () => {
  it('formats a row with thousands separators, seconds and escaped pipes', () => {
    expect(formatRow(row(3))).toBe('| 3 | fault 3 | 76,800 points | 20 s | 76,800 | 76,800 | 0 | 0 | 15 / 15 | 34 / 34 | 1.2 s | a \\| b |');
  });

  it('writes rows in order between the markers and keeps rows of faults not run', () => {
    const first = withTable(doc, [row(2), row(1)], 'T1');
    expect(first).toContain('Last written T1');
    expect(first.indexOf('| 1 | fault 1')).toBeLessThan(first.indexOf('| 2 | fault 2'));
    expect(first).not.toContain('Not generated yet.');
    expect(first.endsWith(`${TABLE_END}\n\nafter\n`)).toBe(true);
    const second = withTable(first, [row(1, { lost: 5 })], 'T2');
    expect(second).toContain('| 2 | fault 2');
    expect(second).toMatch(/\| 1 \| fault 1 \| .* \| 76,800 \| 76,800 \| 0 \| 5 \|/);
    expect(second.match(/\| 1 \| fault 1/g)).toHaveLength(1);
  });

  it('refuses a doc without the markers', () => {
    expect(() => withTable('# no table\n', [row(1)], 'T')).toThrow(/markers/);
  });
});
