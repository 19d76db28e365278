export declare const THEME_KEY: string;
export declare const THEME_CHOICES: readonly string[];
export declare function parseThemeChoice(raw: unknown): 'system' | 'light' | 'dark';
export declare function effectiveTheme(choice: string, systemPrefersDark: boolean): 'light' | 'dark';
export declare function redrawCharts(): void;
