import { describe, expect, it } from 'vitest';
import { crc32, crc8, encodeFrame, FrameDecoder, MAX_PAYLOAD_BYTES, MSG, type RawFrame } from '../../../src/protocol';

const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/), (h) => parseInt(h, 16));
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Got { type: number; seq: number; payload: number[] }
function decodeAll(dec: FrameDecoder, bytes: Uint8Array): Got[] {
  const out: Got[] = [];
  dec.push(bytes, (f: RawFrame) => out.push({ type: f.type, seq: f.seq, payload: Array.from(f.payload) }));
  return out;
}

describe('checksums', () => {
  it('match the catalogue check values over "123456789"', () => {
    expect(crc8(ascii('123456789'))).toBe(0xf4);
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });
  it('CRC-32 of the empty input is 0', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('encodeFrame', () => {
  it('produces the documented PING vector (PROTOCOL.md)', () => {
    expect(encodeFrame(MSG.PING, 1, hex('01 00 00 00'))).toEqual(hex('a5 5a 01 85 01 00 04 00 11 01 00 00 00 6e 45 2d ac'));
  });
  it('produces the documented START vector', () => {
    expect(encodeFrame(MSG.START, 0, new Uint8Array(0))).toEqual(hex('a5 5a 01 81 00 00 00 00 dc 48 8d 92 61'));
  });
  it('refuses oversize payloads and out-of-range fields', () => {
    expect(() => encodeFrame(1, 0, new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toThrow(RangeError);
    expect(() => encodeFrame(256, 0, new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeFrame(1, 65536, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('FrameDecoder', () => {
  it('decodes a documented vector byte by byte', () => {
    const dec = new FrameDecoder();
    const bytes = hex('a5 5a 01 85 01 00 04 00 11 01 00 00 00 6e 45 2d ac');
    const got: Got[] = [];
    for (const b of bytes) got.push(...decodeAll(dec, Uint8Array.of(b)));
    expect(got).toEqual([{ type: 0x85, seq: 1, payload: [1, 0, 0, 0] }]);
    expect(dec.counters()).toMatchObject({ bytesReceived: 17, framesDecoded: 1, bytesDropped: 0, crcFailures: 0 });
    expect(dec.bufferedBytes).toBe(0);
  });

  it('skips leading noise and counts it', () => {
    const dec = new FrameDecoder();
    const noise = hex('00 a5 ff a5 a5 13');
    const frame = encodeFrame(7, 9, hex('de ad'));
    const got = decodeAll(dec, Uint8Array.from([...noise, ...frame]));
    expect(got).toEqual([{ type: 7, seq: 9, payload: [0xde, 0xad] }]);
    expect(dec.counters().bytesDropped).toBe(6);
  });

  it('rejects a frame with a flipped payload bit and finds the next one', () => {
    const dec = new FrameDecoder();
    const a = encodeFrame(2, 0, hex('01 02 03 04'));
    const b = encodeFrame(2, 1, hex('05 06'));
    a[10]! ^= 0x10;
    const got = decodeAll(dec, Uint8Array.from([...a, ...b]));
    expect(got).toEqual([{ type: 2, seq: 1, payload: [5, 6] }]);
    const c = dec.counters();
    expect(c.crcFailures).toBe(1);
    expect(c.bytesDropped).toBe(a.length);
  });

  it('rejects a corrupted length at the header check without waiting for the bogus length', () => {
    const dec = new FrameDecoder();
    const a = encodeFrame(2, 0, hex('01 02 03 04'));
    a[7] = 0x30; // length 0x3004: would swallow the next frame if believed
    const b = encodeFrame(2, 1, hex('05'));
    const got = decodeAll(dec, Uint8Array.from([...a, ...b]));
    expect(got.map((g) => g.seq)).toEqual([1]);
    expect(dec.counters().headerFailures).toBe(1);
    expect(dec.counters().crcFailures).toBe(0);
  });

  it('rejects frames of another protocol version', () => {
    const dec = new FrameDecoder();
    const a = encodeFrame(2, 0, hex('01'));
    a[2] = 2;
    a[8] = crc8(a, 2, 8); // a consistent header of version 2
    expect(decodeAll(dec, a)).toEqual([]);
    expect(dec.counters().headerFailures).toBe(1);
  });

  it('counts sequence gaps and lost frames, including across the uint16 wrap', () => {
    const dec = new FrameDecoder();
    const seqs = [65534, 65535, 0, 3, 4, 10];
    const bytes = seqs.flatMap((s) => Array.from(encodeFrame(1, s, new Uint8Array(0))));
    const got = decodeAll(dec, Uint8Array.from(bytes));
    expect(got.map((g) => g.seq)).toEqual(seqs);
    expect(dec.counters()).toMatchObject({ sequenceGaps: 2, framesLost: 2 + 5 });
  });

  it('delivers payloads that wrap around the end of the ring intact', () => {
    const dec = new FrameDecoder({ maxPayloadBytes: 300 }); // ring of 1024 bytes
    const frames: Uint8Array[] = [];
    const expected: Got[] = [];
    for (let i = 0; i < 40; i++) {
      const payload = Uint8Array.from({ length: 100 + ((i * 37) % 200) }, (_, k) => (k * 7 + i) & 0xff);
      frames.push(encodeFrame(3, i, payload));
      expected.push({ type: 3, seq: i, payload: Array.from(payload) });
    }
    const all = Uint8Array.from(frames.flatMap((f) => Array.from(f)));
    const got: Got[] = [];
    for (let o = 0; o < all.length; o += 97) got.push(...decodeAll(dec, all.subarray(o, o + 97)));
    expect(got).toEqual(expected);
    expect(dec.counters().bytesDropped).toBe(0);
  });

  it('accepts a single push far larger than its ring', () => {
    const dec = new FrameDecoder({ maxPayloadBytes: 64 });
    const frames = Array.from({ length: 500 }, (_, i) => encodeFrame(1, i, Uint8Array.of(i & 0xff, i >> 8)));
    const all = Uint8Array.from(frames.flatMap((f) => Array.from(f)));
    const got = decodeAll(dec, all);
    expect(got.length).toBe(500);
    expect(got[499]).toEqual({ type: 1, seq: 499, payload: [499 & 0xff, 1] });
  });

  it('reset drops buffered bytes and forgets the sequence', () => {
    const dec = new FrameDecoder();
    const a = encodeFrame(1, 5, hex('01 02'));
    decodeAll(dec, a.subarray(0, 6));
    dec.reset();
    expect(dec.counters().bytesDropped).toBe(6);
    const got = decodeAll(dec, encodeFrame(1, 100, new Uint8Array(0)));
    expect(got.map((g) => g.seq)).toEqual([100]);
    expect(dec.counters().sequenceGaps).toBe(0);
  });
});
