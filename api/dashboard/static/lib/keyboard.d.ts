export declare function movedIndex(key: string, index: number, count: number, keys?: { prev?: string; next?: string }): number | null;
