export class SeriesRing {
  constructor(capacity: number, fields?: number);
  readonly capacity: number;
  readonly fields: number;
  readonly length: number;
  readonly lastX: number;
  push(x: number, values: number | Array<number | null | undefined>): boolean;
  toColumns(xScale?: number): [number[], ...Array<Array<number | null>>];
  latest(): { x: number; values: number[] } | null;
}
export class SeriesRings {
  constructor(capacity: number, fields?: number, maxSeries?: number);
  push(id: string, x: number, values: number | Array<number | null | undefined>): boolean;
  get(id: string): SeriesRing | undefined;
  ids(): string[];
  readonly size: number;
}
