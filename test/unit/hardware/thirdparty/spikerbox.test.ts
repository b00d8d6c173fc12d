import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SPIKERBOX_ESCAPE_END, SPIKERBOX_ESCAPE_START, SpikerBoxDecoder, type StreamEvent } from '../../../../hardware/thirdparty';

/** Builds a SpikerBox frame from the published layout: flag bit on the first byte, 7 low bits in the second. */
function frame(values: readonly number[]): number[] {
  const out: number[] = [];
  values.forEach((v, ch) => out.push((v >> 7) | (ch === 0 ? 0x80 : 0), v & 0x7f));
  return out;
}
function message(text: string): number[] {
  return [...SPIKERBOX_ESCAPE_START, ...Array.from(text, (c) => c.charCodeAt(0)), ...SPIKERBOX_ESCAPE_END];
}
function run(dec: SpikerBoxDecoder, bytes: number[]): StreamEvent[] {
  const out: StreamEvent[] = [];
  dec.push(Uint8Array.from(bytes), (e) => out.push(e));
  dec.flush((e) => out.push(e));
  return out;
}
const describeEvent = (e: StreamEvent): string =>
  e.kind === 'block' ? `block ${e.block.startSample}+${e.block.samplesPerChannel}` : e.kind === 'gap' ? `gap ${e.gap.startSample}+${e.gap.lengthSamples}` : e.kind === 'marker' ? `marker ${e.sampleIndex} ${e.text}` : `message ${e.text}`;

describe('SpikerBoxDecoder', () => {
  it('decodes 10-bit two-channel frames around mid-scale into microvolts', () => {
    const dec = new SpikerBoxDecoder({ channelCount: 2, sampleRateHz: 10000, bits: 10, uvPerCount: 2 });
    const samples = [[512, 0], [1023, 513], [0, 511]];
    expect(frame([1023, 0])).toEqual([0x87, 0x7f, 0x00, 0x00]);
    const events = run(dec, samples.flatMap(frame));
    expect(events.map(describeEvent)).toEqual(['block 0+3']);
    const b = events[0]!.kind === 'block' ? events[0]!.block : null;
    expect(b && Array.from(b.data)).toEqual([0, 1022, -1024, -1024, 2, -2]);
    expect(dec.counters()).toMatchObject({ framesDecoded: 3, bytesDropped: 0 });
  });

  it('decodes 14-bit samples', () => {
    const dec = new SpikerBoxDecoder({ channelCount: 1, sampleRateHz: 5000, bits: 14, uvPerCount: 0.5 });
    const events = run(dec, [...frame([16383]), ...frame([8192]), ...frame([0])]);
    expect(events[0]!.kind === 'block' && Array.from(events[0]!.block.data)).toEqual([4095.5, 0, -4096]);
  });

  it('extracts escape-sequence messages, even inside a frame, and places EVNT markers at the current sample', () => {
    const dec = new SpikerBoxDecoder({ channelCount: 2, sampleRateHz: 1000, bits: 10, uvPerCount: 1 });
    const f = frame([600, 400]);
    const bytes = [...frame([512, 512]), ...frame([513, 511]), ...f.slice(0, 3), ...message('EVNT:2;'), ...f.slice(3), ...message('FWV:0.01;HWT:HUMANSB;HWV:0.01;'), ...frame([512, 512])];
    const events = run(dec, bytes);
    expect(events.map(describeEvent)).toEqual(['marker 2 EVNT:2', 'message FWV:0.01', 'message HWT:HUMANSB', 'message HWV:0.01', 'block 0+4']);
    const b = events[4]!.kind === 'block' ? events[4]!.block : null;
    expect(b && Array.from(b.data)).toEqual([0, 1, 88, 0, 0, -1, -112, 0]);
  });

  it('drops a frame broken by a stray flag byte and records a one-sample gap', () => {
    const dec = new SpikerBoxDecoder({ channelCount: 2, sampleRateHz: 1000, bits: 10, uvPerCount: 1, samplesPerBlock: 10 });
    const events = run(dec, [0x05, ...frame([512, 512]), ...frame([520, 500]).slice(0, 3), ...frame([530, 490]), ...frame([512, 512])]);
    expect(events.map(describeEvent)).toEqual(['block 0+1', 'gap 1+1', 'block 2+2']);
    expect(dec.counters()).toMatchObject({ bytesDropped: 1 + 3, samplesLost: 1, framesDecoded: 3 });
  });

  it('a partial escape prefix inside data is passed through as data', () => {
    const dec = new SpikerBoxDecoder({ channelCount: 1, sampleRateHz: 1000, bits: 10, uvPerCount: 1 });
    // FF FF 01 then not 01: not an escape; the bytes are frame bytes (two broken frames and a good one)
    const events = run(dec, [0xff, 0xff, 0x01, 0x02, ...frame([700])]);
    expect(events.map(describeEvent)).toEqual(['gap 0+1', 'block 1+2']);
  });

  it('never throws on arbitrary bytes and decodes identically however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 12 }).map((a) => Array.from(a)), fc.tuple(fc.nat(1023), fc.nat(1023)).map(([a, b]) => frame([a, b])), fc.constant(message('EVNT:1;'))), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (parts, cuts) => {
          const bytes = Uint8Array.from(parts.flat());
          const whole: StreamEvent[] = [];
          const d1 = new SpikerBoxDecoder({ channelCount: 2, sampleRateHz: 1000, bits: 10, uvPerCount: 1, samplesPerBlock: 4 });
          d1.push(bytes, (e) => whole.push(e));
          const chunked: StreamEvent[] = [];
          const d2 = new SpikerBoxDecoder({ channelCount: 2, sampleRateHz: 1000, bits: 10, uvPerCount: 1, samplesPerBlock: 4 });
          let prev = 0;
          for (const p of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
            d2.push(bytes.subarray(prev, p), (e) => chunked.push(e));
            prev = p;
          }
          expect(chunked).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });
});
