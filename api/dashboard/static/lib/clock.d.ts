export declare const ZONE_KEY: string;
export declare const ZONE_CHOICES: readonly string[];
export declare function parseZoneChoice(raw: unknown): 'local' | 'utc';
export declare function currentZone(): 'local' | 'utc';
export declare function setZone(next: unknown): void;
export declare function onZoneChange(fn: (zone: 'local' | 'utc') => void): void;
export declare function showTime(ms: unknown, now?: number): string;
export declare function showClock(ms: unknown, options?: { seconds?: boolean; date?: boolean }): string;
export declare function initZone(options: { select: { value: string; addEventListener(type: string, fn: () => void): void }; storage: { get(k: string): string | null; set(k: string, v: string | null): void } }): void;
