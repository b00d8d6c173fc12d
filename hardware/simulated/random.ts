/**
 * Seeded pseudo-random numbers for the simulator. Every random choice of the virtual patient and its
 * EMG comes from a named stream derived from the session seed, so a seed reproduces a case exactly and
 * adding a new random choice in one place does not shift the values drawn elsewhere.
 *
 * Generator: sfc32 (small fast counter), seeded through splitmix32. Not cryptographic; statistical
 * quality is ample for noise and sampling.
 */

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

/** FNV-1a hash of a string, for deriving stream seeds from names. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  /** A stream for `seed` and an optional stream name (e.g. "noise/3", "rootlet/L4/L/2"). */
  constructor(seed: number, stream = '') {
    let st = (Math.trunc(seed) ^ hashString(stream)) | 0;
    let v: number;
    [st, v] = splitmix32(st);
    this.a = v;
    [st, v] = splitmix32(st);
    this.b = v;
    [st, v] = splitmix32(st);
    this.c = v;
    [st, v] = splitmix32(st ^ Math.trunc(seed / 4294967296));
    this.d = v;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A derived, independent stream. */
  fork(stream: string): SeededRandom {
    return new SeededRandom(this.nextUint32(), stream);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, polar form; the second value is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.next() * 2 - 1;
      v = this.next() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by relative weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (!last) throw new Error('weighted pick from an empty list');
    return last[0];
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** A random non-empty subset of `items` with between `min` and `max` members (clamped). */
  subset<T>(items: readonly T[], min: number, max: number): T[] {
    const hi = Math.min(max, items.length);
    const lo = Math.min(Math.max(0, min), hi);
    return this.shuffled(items).slice(0, this.int(lo, hi));
  }
}
