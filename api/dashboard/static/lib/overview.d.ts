export interface Pin {
  source: string;
  metric: string;
}
export interface SeriesLike extends Pin {
  timestamp: number;
}
export declare const PINS_KEY: string;
export declare const ACTIVE_KEY: string;
export declare const MAX_PINS: number;
export declare const AUTO_CHARTS: number;
export declare const ACTIVE_CHOICES: readonly number[];
export declare const DEFAULT_ACTIVE_MS: number;
export declare function pinId(pin: Pin): string;
export declare function normalizePins(list: unknown): Pin[];
export declare function parseStoredPins(raw: string | null | undefined): Pin[];
export declare function storedPins(pins: Pin[]): string;
export declare function parseActive(raw: unknown): number;
export declare function parseOverviewHash(hash: unknown): { pins: Pin[] | null; q: string; activeMs: number | null };
export declare function overviewHash(state?: { pins?: Pin[]; q?: string; activeMs?: number }): string;
export declare function togglePin(pins: Pin[], pin: Pin, on: boolean): { pins: Pin[]; full: boolean };
export declare function matchesSearch(id: string, q: string): boolean;
export declare function isActive(snapshot: { timestamp?: number } | null | undefined, now: number, withinMs: number): boolean;
export declare function seriesRows<S extends SeriesLike>(
  latestValues: Iterable<S>,
  options: { pins?: Pin[]; q?: string; activeMs?: number; now: number },
): { rows: Array<{ id: string; source: string; metric: string; snapshot: S | null; pinned: boolean }>; hidden: { search: number; stale: number } };
export declare function chartSeries(options: { pins?: Pin[]; held?: Pin[]; latestValues?: Iterable<SeriesLike>; now: number; activeMs?: number; max?: number }): Pin[];
