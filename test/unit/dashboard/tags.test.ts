import { describe, expect, it } from 'vitest';
import { alertLabels } from '../../../oncall/silences/labels.ts';
import { compileMatcher, matchesAll } from '../../../oncall/silences/matchers.ts';
import { TAG_CHIP_CHARS, matcherForTag, tagChips } from '../../../api/dashboard/static/lib/tags.js';

describe('dashboard tag chips', () => {
  it('lists tags as key=value sorted by key', () => {
    expect(tagChips({ zone: 'eu-1', env: 'prod' })).toEqual([
      { key: 'env', value: 'prod', text: 'env=prod', title: 'env=prod' },
      { key: 'zone', value: 'eu-1', text: 'zone=eu-1', title: 'zone=eu-1' },
    ]);
  });

  it('gives no chips for missing or malformed tags, and skips non-string values', () => {
    for (const bad of [undefined, null, 'env=prod', 42, ['env', 'prod']]) expect(tagChips(bad)).toEqual([]);
    expect(tagChips({ env: 'prod', n: 3, o: { x: 1 }, z: null }).map((c) => c.key)).toEqual(['env']);
  });

  it('keeps hostile text as it is (the DOM builder makes it text) and cuts a 200-char value with the full pair in the title', () => {
    const key = '<img src=x onerror=alert(1)>';
    const value = 'v'.repeat(200);
    const [chip] = tagChips({ [key]: value });
    expect(chip.key).toBe(key);
    expect(chip.value).toBe(value);
    expect(chip.title).toBe(`${key}=${value}`);
    expect(chip.text).toHaveLength(TAG_CHIP_CHARS);
    expect(chip.text.endsWith('…')).toBe(true);
    expect(chip.text.startsWith('<img src=x onerror=')).toBe(true);
  });

  it('the matcher a chip prefills is valid for the server and selects alerts with that tag value only', () => {
    const alert = { source: 'web-1', metric: 'cpu', ruleId: 'r', kind: 'threshold', severity: 'high', tags: { team: 'db', '<b>': 'x'.repeat(200) } } as const;
    for (const [key, value] of Object.entries(alert.tags)) {
      const m = matcherForTag(key, value);
      expect(m).toEqual({ name: `tag:${key}`, op: '=', value });
      const compiled = compileMatcher(m);
      if (!compiled.ok) throw new Error(compiled.error);
      expect(matchesAll([compiled.matcher], alertLabels(alert))).toBe(true);
      expect(matchesAll([compiled.matcher], alertLabels({ ...alert, tags: { ...alert.tags, [key]: 'other' } }))).toBe(false);
      expect(matchesAll([compiled.matcher], alertLabels({ ...alert, tags: {} }))).toBe(false);
    }
  });
});
