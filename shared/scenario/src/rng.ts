// The project's one seeded pseudo-random generator (sfc32 seeded through splitmix32): a scenario,
// a sample or a test history is the same on every machine and Node version for a given seed.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One of the items, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** Standard normal (Box–Muller). */
  gauss(): number;
  logNormal(mu: number, sigma: number): number;
  /** Fisher–Yates, in place; returns the array. */
  shuffle<T>(items: T[]): T[];
  /** A picker over items with the given weights (binary search on the cumulative sums). */
  weighted<T>(items: readonly T[], weights: readonly number[]): () => T;
}

export function createRng(seed: number): Rng {
  let s = Number(seed) >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();

  const at = <T>(items: readonly T[], i: number): T => {
    if (i < 0 || i >= items.length) throw new RangeError(`pick over ${items.length} items`);
    return items[i] as T;
  };
  const gauss = (): number => {
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => at(items, Math.floor(next() * items.length)),
    gauss,
    logNormal: (mu, sigma) => Math.exp(mu + sigma * gauss()),
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i] as (typeof items)[number];
        items[i] = items[j] as (typeof items)[number];
        items[j] = tmp;
      }
      return items;
    },
    weighted: (items, weights) => {
      if (items.length === 0) throw new Error('weighted pick over no items');
      const cumulative: number[] = [];
      let total = 0;
      for (const w of weights) {
        total += w;
        cumulative.push(total);
      }
      return () => {
        const x = next() * total;
        let lo = 0;
        let hi = cumulative.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((cumulative[mid] as number) > x) hi = mid;
          else lo = mid + 1;
        }
        return at(items, lo);
      };
    },
  };
}
