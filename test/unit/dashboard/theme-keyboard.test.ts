import { describe, expect, it } from 'vitest';
import { effectiveTheme, parseThemeChoice } from '../../../api/dashboard/static/lib/theme.js';
import { movedIndex } from '../../../api/dashboard/static/lib/keyboard.js';

describe('theme choice', () => {
  it('keeps a valid stored choice and falls back to the system for anything else', () => {
    expect(parseThemeChoice('light')).toBe('light');
    expect(parseThemeChoice('dark')).toBe('dark');
    expect(parseThemeChoice('system')).toBe('system');
    for (const hostile of [null, undefined, '', 'DARK', ' dark', 'light; background:red', '<script>', 42, {}, ['dark']]) {
      expect(parseThemeChoice(hostile)).toBe('system');
    }
  });
  it('an explicit choice wins over the system preference; system follows it', () => {
    expect(effectiveTheme('light', true)).toBe('light');
    expect(effectiveTheme('dark', false)).toBe('dark');
    expect(effectiveTheme('system', true)).toBe('dark');
    expect(effectiveTheme('system', false)).toBe('light');
  });
});

describe('movedIndex', () => {
  it('moves one step, stops at the ends, jumps with Home/End', () => {
    expect(movedIndex('ArrowDown', 0, 3)).toBe(1);
    expect(movedIndex('ArrowDown', 2, 3)).toBe(2);
    expect(movedIndex('ArrowUp', 0, 3)).toBe(0);
    expect(movedIndex('ArrowUp', 2, 3)).toBe(1);
    expect(movedIndex('Home', 2, 3)).toBe(0);
    expect(movedIndex('End', 0, 3)).toBe(2);
  });
  it('uses the keys it is given (tabs: left/right) and ignores the others', () => {
    const tabs = { prev: 'ArrowLeft', next: 'ArrowRight' };
    expect(movedIndex('ArrowRight', 1, 8, tabs)).toBe(2);
    expect(movedIndex('ArrowLeft', 1, 8, tabs)).toBe(0);
    expect(movedIndex('ArrowDown', 1, 8, tabs)).toBeNull();
    for (const key of ['Enter', ' ', 'a', 'Tab', 'PageDown']) expect(movedIndex(key, 1, 3)).toBeNull();
  });
  it('has nowhere to move in an empty list', () => {
    expect(movedIndex('ArrowDown', -1, 0)).toBeNull();
    expect(movedIndex('End', 0, 0)).toBeNull();
  });
});
