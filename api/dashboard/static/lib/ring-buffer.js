// Fixed-size time series for live charts: the newest `capacity` points per series, in
// timestamp order, as the column arrays uPlot draws ([xs in seconds, ys...]).

export class SeriesRing {
  /** @param {number} capacity @param {number} fields how many y values per point */
  constructor(capacity, fields = 1) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError('capacity must be a positive integer');
    if (!(Number.isInteger(fields) && fields > 0)) throw new RangeError('fields must be a positive integer');
    this.capacity = capacity;
    this.fields = fields;
    this.xs = new Float64Array(capacity);
    this.ys = Array.from({ length: fields }, () => new Float64Array(capacity));
    this.start = 0; // index of the oldest point
    this.length = 0;
  }

  get lastX() {
    return this.length === 0 ? -Infinity : this.xs[(this.start + this.length - 1) % this.capacity];
  }

  /**
   * Append a point. Charts need ascending x: a point with the newest timestamp replaces the
   * newest point (a refresh of the same second), an older one is dropped (a replayed event
   * after reconnect). Returns whether the buffer changed. Non-finite y values are stored as
   * NaN so uPlot leaves a gap rather than a spike to Infinity.
   */
  push(x, values) {
    if (!Number.isFinite(x)) return false;
    const ys = Array.isArray(values) ? values : [values];
    const last = this.lastX;
    let index;
    if (x < last) return false;
    if (x === last) {
      index = (this.start + this.length - 1) % this.capacity;
    } else if (this.length < this.capacity) {
      index = (this.start + this.length) % this.capacity;
      this.length += 1;
    } else {
      index = this.start;
      this.start = (this.start + 1) % this.capacity;
    }
    this.xs[index] = x;
    for (let f = 0; f < this.fields; f++) {
      const v = ys[f];
      this.ys[f][index] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
    }
    return true;
  }

  /**
   * Merge older points (history from the API) under what the ring holds: the union by x, a
   * point already held winning a tie (live data is as fresh as history or fresher), the newest
   * `capacity` kept. `points` are `{x, values}` in any order. Returns how many of them ended up
   * in the ring (0: nothing changed).
   */
  merge(points) {
    const byX = new Map();
    for (let i = 0; i < this.length; i++) {
      const j = (this.start + i) % this.capacity;
      byX.set(this.xs[j], { held: true, ys: this.ys.map((col) => col[j]) });
    }
    for (const p of points ?? []) {
      if (!p || !Number.isFinite(p.x) || byX.has(p.x)) continue;
      const values = Array.isArray(p.values) ? p.values : [p.values];
      byX.set(p.x, { held: false, ys: this.ys.map((_, f) => (typeof values[f] === 'number' && Number.isFinite(values[f]) ? values[f] : NaN)) });
    }
    const kept = [...byX.keys()].sort((a, b) => a - b).slice(-this.capacity);
    let added = 0;
    for (const x of kept) if (!byX.get(x).held) added += 1;
    if (added === 0) return 0;
    this.start = 0;
    this.length = kept.length;
    kept.forEach((x, i) => {
      this.xs[i] = x;
      const { ys } = byX.get(x);
      for (let f = 0; f < this.fields; f++) this.ys[f][i] = ys[f];
    });
    return added;
  }

  /** Oldest first; `xScale` converts the stored x (uPlot wants seconds, events carry ms). */
  toColumns(xScale = 1) {
    const xs = new Array(this.length);
    const ys = this.ys.map(() => new Array(this.length));
    for (let i = 0; i < this.length; i++) {
      const j = (this.start + i) % this.capacity;
      xs[i] = this.xs[j] * xScale;
      for (let f = 0; f < this.fields; f++) {
        const v = this.ys[f][j];
        ys[f][i] = Number.isNaN(v) ? null : v;
      }
    }
    return [xs, ...ys];
  }

  /** The newest point's values, or null. */
  latest() {
    if (this.length === 0) return null;
    const j = (this.start + this.length - 1) % this.capacity;
    return { x: this.xs[j], values: this.ys.map((col) => col[j]) };
  }
}

/**
 * One ring per series id, created on first sight, with a bound on how many series are kept:
 * a flood of new series names evicts the one not updated for the longest.
 */
export class SeriesRings {
  constructor(capacity, fields = 1, maxSeries = 500) {
    this.capacity = capacity;
    this.fields = fields;
    this.maxSeries = maxSeries;
    this.rings = new Map();
  }

  push(id, x, values) {
    let ring = this.rings.get(id);
    if (!ring) {
      ring = new SeriesRing(this.capacity, this.fields);
    } else {
      this.rings.delete(id);
    }
    this.rings.set(id, ring);
    while (this.rings.size > this.maxSeries) this.rings.delete(this.rings.keys().next().value);
    return ring.push(x, values);
  }

  /** History for one series (see SeriesRing.merge); creates the ring like push does. */
  merge(id, points) {
    let ring = this.rings.get(id);
    if (!ring) {
      ring = new SeriesRing(this.capacity, this.fields);
      this.rings.set(id, ring);
      while (this.rings.size > this.maxSeries) this.rings.delete(this.rings.keys().next().value);
    }
    return ring.merge(points);
  }

  get(id) {
    return this.rings.get(id);
  }

  ids() {
    return [...this.rings.keys()].sort();
  }

  get size() {
    return this.rings.size;
  }
}
