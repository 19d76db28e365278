import type { Matcher } from '../../../../oncall/silences/matchers.ts';
export const TAG_CHIP_CHARS: number;
export const TAG_CHIPS_SHOWN: number;
export interface TagChip {
  key: string;
  value: string;
  text: string;
  title: string;
}
export function tagChips(tags: unknown, max?: number): TagChip[];
export function matcherForTag(key: string, value: string): Matcher;
