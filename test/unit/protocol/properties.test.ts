import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder, type RawFrame } from '../../../src/protocol';

interface Got { type: number; seq: number; payload: string }
const key = (f: RawFrame): Got => ({ type: f.type, seq: f.seq, payload: Buffer.from(f.payload).toString('hex') });

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 300 }),
});
const streamArb = fc.array(frameArb, { minLength: 1, maxLength: 25 }).map((frames) => {
  const encoded = frames.map((f, i) => encodeFrame(f.type, i, f.payload));
  return { encoded, bytes: Uint8Array.from(encoded.flatMap((e) => Array.from(e))) };
});

function decodeChunked(bytes: Uint8Array, cuts: number[], maxPayloadBytes = 512): { got: Got[]; dec: FrameDecoder } {
  const dec = new FrameDecoder({ maxPayloadBytes });
  const got: Got[] = [];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    dec.push(bytes.subarray(prev, p), (f) => got.push(key(f)));
    prev = p;
  }
  return { got, dec };
}

describe('frame decoder properties', () => {
  it('any chunking of a byte stream decodes identically to one-shot', () => {
    fc.assert(
      fc.property(streamArb, fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat(), { maxLength: 60 }), ({ bytes: frames }, noise, cuts) => {
        const bytes = Uint8Array.from([...noise, ...frames, ...noise]);
        const oneShot = decodeChunked(bytes, []);
        const chunked = decodeChunked(bytes, cuts);
        expect(chunked.got).toEqual(oneShot.got);
        expect(chunked.dec.counters()).toEqual(oneShot.dec.counters());
      }),
      { numRuns: 300 },
    );
  });

  it('decodes every frame of a clean stream exactly', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 30 }), ({ encoded, bytes }, cuts) => {
        const { got, dec } = decodeChunked(bytes, cuts);
        expect(got).toEqual(encoded.map((e, i) => ({ type: e[3], seq: i, payload: Buffer.from(e.subarray(9, e.length - 4)).toString('hex') })));
        expect(dec.counters()).toMatchObject({ bytesDropped: 0, crcFailures: 0, sequenceGaps: 0, framesDecoded: encoded.length });
      }),
      { numRuns: 200 },
    );
  });

  it('random corruption never throws, never yields a frame failing its CRC, and the first intact frame after the damage is decoded', () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), mode: fc.constantFrom('flip', 'insert', 'delete') }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        ({ encoded }, damage, cuts) => {
          // damage only frames before `lastDamaged`; the frames after it must all come through
          const lastDamaged = Math.max(0, encoded.length - 2);
          const damagedBytes = Array.from(Uint8Array.from(encoded.slice(0, lastDamaged + 1).flatMap((e) => Array.from(e))));
          for (const d of damage) {
            const at = d.at % (damagedBytes.length + 1);
            if (d.mode === 'flip' && at < damagedBytes.length) damagedBytes[at] = damagedBytes[at]! ^ (d.value | 1);
            else if (d.mode === 'insert') damagedBytes.splice(at, 0, d.value);
            else if (at < damagedBytes.length) damagedBytes.splice(at, 1);
          }
          const intactTail = encoded.slice(lastDamaged + 1);
          // Traffic goes on after the tail: a false header made by the damage (its header check can
          // pass by chance, 1 in 256) holds decoding until its claimed length has arrived, at most one
          // maximum frame. Zero filler stands for that traffic; the intact frames are then all found.
          const filler = new Array<number>(512 + 13).fill(0);
          const bytes = Uint8Array.from([...damagedBytes, ...intactTail.flatMap((e) => Array.from(e)), ...filler]);
          let got: Got[] = [];
          expect(() => {
            got = decodeChunked(bytes, cuts).got;
          }).not.toThrow();
          // every decoded frame is one that was sent, byte for byte (so none failing its CRC got through)
          for (const g of got) {
            const re = encodeFrame(g.type, g.seq, Buffer.from(g.payload, 'hex'));
            expect(encoded.some((e) => Buffer.from(e).equals(Buffer.from(re)))).toBe(true);
          }
          // the frames after the damaged region come through, in order, at the end; one exception is
          // ambiguous input, not a decoder fault: when the damage removed the last k bytes of a frame
          // and the next frame starts with those same k bytes (a CRC ending in 0xA5), the bytes are
          // identical to "intact frame + next frame missing its start", so the next frame is lost
          const expected = intactTail.map((_, i) => lastDamaged + 1 + i);
          const tailFirst = intactTail[0];
          const ambiguous =
            tailFirst !== undefined &&
            encoded.slice(0, lastDamaged + 1).some((e) => {
              for (let k = 1; k < Math.min(e.length, tailFirst.length); k++) {
                const head = e.subarray(0, e.length - k);
                const endsWithHead = damagedBytes.length >= head.length && Buffer.from(damagedBytes.slice(damagedBytes.length - head.length)).equals(Buffer.from(head));
                if (endsWithHead && Buffer.from(e.subarray(e.length - k)).equals(Buffer.from(tailFirst.subarray(0, k)))) return true;
              }
              return false;
            });
          const tail = got.slice(got.length - intactTail.length).map((g) => g.seq);
          if (ambiguous && tail[0] !== expected[0]) expect(got.slice(got.length - expected.length + 1).map((g) => g.seq)).toEqual(expected.slice(1));
          else expect(tail).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes and accounts for every byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const { got, dec } = decodeChunked(bytes, cuts);
        const c = dec.counters();
        expect(c.bytesReceived).toBe(bytes.length);
        const frameBytes = got.reduce((n, g) => n + 13 + g.payload.length / 2, 0);
        expect(c.bytesDropped + dec.bufferedBytes + frameBytes).toBe(bytes.length);
      }),
      { numRuns: 300 },
    );
  });

  it('random streams full of false sync words still decode the frames embedded in them', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0xa5, 0x5a, 0x01, 0x00), { maxLength: 200 }), streamArb, (junk, { encoded, bytes }) => {
        const { got } = decodeChunked(Uint8Array.from([...junk, ...bytes]), []);
        // junk can at most form a false header whose length swallows nothing real: real frames all appear
        expect(got.slice(got.length - encoded.length).map((g) => g.seq)).toEqual(encoded.map((_, i) => i));
      }),
      { numRuns: 200 },
    );
  });
});
