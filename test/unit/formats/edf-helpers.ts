/**
 * Test helpers: builds EDF/EDF+ bytes by hand, straight from the specification's field table, without
 * using src/formats (so the reader is checked against an independent writer).
 */
export interface HandSignal {
  label: string;
  dim: string;
  physMin: number;
  physMax: number;
  digMin: number;
  digMax: number;
  spr: number;
  transducer?: string;
}

export interface HandFile {
  reserved: string; // 'EDF+C', 'EDF+D' or ''
  records: number; // value written in the header
  durationS: string; // header text, e.g. '0.5'
  signals: HandSignal[];
  /** record -> signal -> int16 samples (annotation signals: raw bytes as Uint8Array) */
  data: (Int16Array | Uint8Array)[][];
  startdate?: string;
  starttime?: string;
  patient?: string;
  recording?: string;
  /** overrides of raw header field text, by byte offset */
}

const pad = (s: string, w: number) => {
  if (s.length > w) throw new Error(`'${s}' wider than ${w}`);
  return s.padEnd(w, ' ');
};

export function buildEdf(f: HandFile): Uint8Array {
  const ns = f.signals.length;
  let h = '';
  h += pad('0', 8);
  h += pad(f.patient ?? 'X X X X', 80);
  h += pad(f.recording ?? 'Startdate X X X X', 80);
  h += pad(f.startdate ?? '01.02.24', 8);
  h += pad(f.starttime ?? '10.20.30', 8);
  h += pad(String(256 * (ns + 1)), 8);
  h += pad(f.reserved, 44);
  h += pad(String(f.records), 8);
  h += pad(f.durationS, 8);
  h += pad(String(ns), 4);
  for (const s of f.signals) h += pad(s.label, 16);
  for (const s of f.signals) h += pad(s.transducer ?? '', 80);
  for (const s of f.signals) h += pad(s.dim, 8);
  for (const s of f.signals) h += pad(String(s.physMin), 8);
  for (const s of f.signals) h += pad(String(s.physMax), 8);
  for (const s of f.signals) h += pad(String(s.digMin), 8);
  for (const s of f.signals) h += pad(String(s.digMax), 8);
  for (let i = 0; i < ns; i++) h += pad('', 80);
  for (const s of f.signals) h += pad(String(s.spr), 8);
  for (let i = 0; i < ns; i++) h += pad('', 32);
  const recordBytes = f.signals.reduce((a, s) => a + s.spr * 2, 0);
  const out = new Uint8Array(h.length + f.data.length * recordBytes);
  for (let i = 0; i < h.length; i++) out[i] = h.charCodeAt(i);
  const dv = new DataView(out.buffer);
  let pos = h.length;
  for (const rec of f.data) {
    f.signals.forEach((s, si) => {
      const d = rec[si]!;
      if (d instanceof Int16Array) {
        if (d.length !== s.spr) throw new Error('bad sample count');
        for (let i = 0; i < d.length; i++) dv.setInt16(pos + i * 2, d[i]!, true);
      } else {
        if (d.length > s.spr * 2) throw new Error('annotation too long');
        out.set(d, pos);
      }
      pos += s.spr * 2;
    });
  }
  return out;
}

/** Bytes of TALs: entries [onset text, duration text | null, texts[]] */
export function tals(entries: [string, string | null, string[]][]): Uint8Array {
  let s = '';
  for (const [onset, dur, texts] of entries) {
    s += onset + (dur === null ? '' : `\x15${dur}`) + '\x14' + texts.map((t) => `${t}\x14`).join('') + '\x00';
  }
  return new TextEncoder().encode(s);
}

/** Replaces the text of a header field at a byte offset (padded to width). */
export function patchField(bytes: Uint8Array, offset: number, width: number, text: string): Uint8Array {
  const out = bytes.slice();
  const t = pad(text, width);
  for (let i = 0; i < width; i++) out[offset + i] = t.charCodeAt(i);
  return out;
}

/** Deterministic pseudo-random generator (mulberry32) for test signals. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
