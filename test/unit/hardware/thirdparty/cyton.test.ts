import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CytonDecoder, cytonUvPerCount, type StreamEvent } from '../../../../hardware/thirdparty';

/** Builds a Cyton packet from the published layout: A0, sample number, 8 x int24 BE, 6 aux bytes, footer. */
function cytonPacket(sampleNumber: number, counts: readonly number[], footer = 0xc0): number[] {
  const out = [0xa0, sampleNumber & 0xff];
  for (const v of counts) out.push((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  out.push(0x00, 0x10, 0xff, 0xf0, 0x40, 0x00); // accelerometer x, y, z
  out.push(footer);
  return out;
}

function run(dec: CytonDecoder, bytes: number[]): StreamEvent[] {
  const out: StreamEvent[] = [];
  dec.push(Uint8Array.from(bytes), (e) => out.push(e));
  dec.flush((e) => out.push(e));
  return out;
}

const COUNTS = [0, 1, -1, 8388607, -8388608, 1000, -123456, 42];

describe('CytonDecoder', () => {
  it('scales 24-bit big-endian counts by 4.5 V / gain / (2^23 - 1)', () => {
    expect(cytonUvPerCount(24)).toBeCloseTo(0.02235174, 7);
    expect(cytonUvPerCount(1)).toBeCloseTo(0.536441867, 8);
    const dec = new CytonDecoder({ daisy: false });
    const events = run(dec, cytonPacket(0, COUNTS));
    expect(events).toHaveLength(1);
    const e = events[0]!;
    if (e.kind !== 'block') throw new Error('expected a block');
    expect(e.block).toMatchObject({ startSample: 0, sampleRateHz: 250, channelCount: 8, samplesPerChannel: 1 });
    const uv = 4.5e6 / 24 / 8388607;
    expect(Array.from(e.block.data)).toEqual(COUNTS.map((c) => Math.fround(c * uv)));
    expect(e.block.data[3]).toBeCloseTo(187500, 0); // full scale at gain 24 is 187.5 mV
  });

  it('groups packets into blocks, skips noise, and turns a packet-number jump into a gap', () => {
    const dec = new CytonDecoder({ daisy: false, samplesPerBlock: 4 });
    const bytes = [0x13, 0x37, ...[250, 251, 252, 253, 254, 255, 0].flatMap((n) => cytonPacket(n, COUNTS.map((c) => c + n))), ...cytonPacket(3, COUNTS)];
    const events = run(dec, bytes);
    expect(events.map((e) => (e.kind === 'block' ? `block ${e.block.startSample}+${e.block.samplesPerChannel}` : e.kind === 'gap' ? `gap ${e.gap.startSample}+${e.gap.lengthSamples}` : e.kind))).toEqual([
      'block 0+4',
      'block 4+3',
      'gap 7+2',
      'block 9+1',
    ]);
    expect(dec.counters()).toMatchObject({ bytesReceived: bytes.length, framesDecoded: 8, bytesDropped: 2, sequenceGaps: 1, samplesLost: 2 });
    const first = events[0]!;
    if (first.kind !== 'block') throw new Error('expected a block');
    // channel 1 (count 1 + n) over samples 250..253
    expect(Array.from(first.block.data.subarray(4, 8))).toEqual([251, 252, 253, 254].map((c) => Math.fround(c * cytonUvPerCount(24))));
  });

  it('resynchronises after a packet with a bad footer', () => {
    const dec = new CytonDecoder({ daisy: false });
    const broken = cytonPacket(1, COUNTS, 0x55);
    const events = run(dec, [...cytonPacket(0, COUNTS), ...broken.slice(0, 20), ...cytonPacket(1, COUNTS), ...cytonPacket(2, COUNTS)]);
    const blocks = events.filter((e) => e.kind === 'block');
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.kind === 'block' && blocks[0]!.block.samplesPerChannel).toBe(3);
    expect(dec.counters()).toMatchObject({ framesDecoded: 3, bytesDropped: 20, samplesLost: 0 });
  });

  it('pairs odd (board, channels 1-8) and even (Daisy, channels 9-16) packets into 16-channel samples at 125 Hz', () => {
    const dec = new CytonDecoder({ daisy: true, gain: 12 });
    const board = (k: number): number[] => Array.from({ length: 8 }, (_, ch) => 1000 * k + ch);
    const daisy = (k: number): number[] => Array.from({ length: 8 }, (_, ch) => -(1000 * k + ch + 8));
    const bytes = [
      ...cytonPacket(2, daisy(0)), // a Daisy packet without its board packet: ignored
      ...cytonPacket(3, board(1)), ...cytonPacket(4, daisy(1)),
      ...cytonPacket(5, board(2)), ...cytonPacket(6, daisy(2)),
      // 7 and 8 lost
      ...cytonPacket(9, board(4)), ...cytonPacket(10, daisy(4)),
    ];
    const events = run(dec, bytes);
    const uv = cytonUvPerCount(12);
    const blocks = events.flatMap((e) => (e.kind === 'block' ? [e.block] : []));
    const gaps = events.flatMap((e) => (e.kind === 'gap' ? [e.gap] : []));
    expect(gaps).toEqual([{ startSample: 2, lengthSamples: 1, reason: 'sequence-gap' }]);
    expect(blocks.map((b) => [b.startSample, b.samplesPerChannel, b.channelCount, b.sampleRateHz])).toEqual([[0, 2, 16, 125], [3, 1, 16, 125]]);
    // planar: channel 0 over the two samples, then channel 9 (index 9 = Daisy channel 2)
    expect(Array.from(blocks[0]!.data.subarray(0, 2))).toEqual([1000, 2000].map((c) => Math.fround(c * uv)));
    expect(Array.from(blocks[0]!.data.subarray(2 * 9, 2 * 9 + 2))).toEqual([-1009, -2009].map((c) => Math.fround(c * uv)));
    expect(Array.from(blocks[1]!.data.subarray(15, 16))).toEqual([Math.fround(-4015 * uv)]);
  });

  it('never throws on arbitrary bytes and decodes identically however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }).map((a) => Array.from(a)), fc.nat(255).map((n) => cytonPacket(n, COUNTS))), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (parts, cuts) => {
        const bytes = Uint8Array.from(parts.flat());
        const whole: StreamEvent[] = [];
        const d1 = new CytonDecoder({ daisy: false, samplesPerBlock: 3 });
        d1.push(bytes, (e) => whole.push(e));
        const chunked: StreamEvent[] = [];
        const d2 = new CytonDecoder({ daisy: false, samplesPerBlock: 3 });
        let prev = 0;
        for (const p of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
          d2.push(bytes.subarray(prev, p), (e) => chunked.push(e));
          prev = p;
        }
        expect(chunked).toEqual(whole);
        expect(d2.counters()).toEqual(d1.counters());
      }),
      { numRuns: 200 },
    );
  });
});
