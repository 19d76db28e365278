export class SeriesRing {
  constructor(capacity: number, fields?: number);
  readonly capacity: number;
  readonly fields: number;
  readonly length: number;
  readonly lastX: number;
  push(x: number, values: number | Array<number | null | undefined>): boolean;
  toColumns(xScale?: number): [number[], ...Array<Array<number | null>>];
  latest(): { x: number; values: number[] } | null;
  merge(points: Iterable<RingPoint> | null | undefined): number;
}
export interface RingPoint {
  x: number;
  values: number | Array<number | null | undefined>;
}
export class SeriesRings {
  constructor(capacity: number, fields?: number, maxSeries?: number);
  push(id: string, x: number, values: number | Array<number | null | undefined>): boolean;
  merge(id: string, points: Iterable<RingPoint> | null | undefined): number;
  get(id: string): SeriesRing | undefined;
  ids(): string[];
  readonly size: number;
}
